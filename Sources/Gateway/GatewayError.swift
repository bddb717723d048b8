import ShoalProtocol

/// The gateway module's one error type; each code renders as the JSON-RPC error of
/// docs/api.md, so handlers throw it straight to the client.
package typealias GatewayError = CodedError<GatewayErrorCode>

/// What went wrong in the gateway.
package enum GatewayErrorCode: String, RPCErrorCode {
    case invalidParameter
    case functionNotFound
    case layerNotFound
    case functionExists
    /// Another resource is in the way (a policy statement id that is taken).
    case conflict
    case payloadTooLarge
    /// An invoke's payload is not JSON, or its client context not base64 of a JSON object.
    case invalidRequestContent
    case tooManyRequests
    /// No worker can take the call right now; the client may retry.
    case noWorker
    /// The call may have reached a handler and its fate is unknown: never retried.
    case outcomeUnknown
    case storage
    case shuttingDown
    package func rpcError(_ message: String) -> RPCError {
        switch self {
        case .invalidParameter: RPCError(.invalidParams, message)
        case .functionNotFound, .layerNotFound: RPCError(.resourceNotFound, message)
        case .functionExists, .conflict: RPCError(.resourceConflict, message)
        case .payloadTooLarge: RPCError(.requestTooLarge, message)
        case .invalidRequestContent: RPCError(.invalidRequestContent, message)
        case .tooManyRequests: RPCError(.tooManyRequests, message)
        case .noWorker, .shuttingDown: RPCError(.serviceUnavailable, message, reason: rawValue)
        case .outcomeUnknown, .storage: RPCError(.internalError, message, reason: rawValue)
        }
    }
}

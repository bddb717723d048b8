import ShoalProtocol

/// The gateway module's one error type; each code renders as the JSON-RPC error of
/// docs/api.md, so handlers throw it straight to the client.
package struct GatewayError: Error, Sendable, Hashable, CustomStringConvertible, RPCErrorConvertible {
    package enum Code: String, Sendable, Hashable {
        case invalidParameter
        case functionNotFound
        case layerNotFound
        case functionExists
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
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code.rawValue): \(message)" }

    package var rpcError: RPCError {
        switch code {
        case .invalidParameter: RPCError(.invalidParams, message)
        case .functionNotFound, .layerNotFound: RPCError(.resourceNotFound, message)
        case .functionExists: RPCError(.resourceConflict, message)
        case .payloadTooLarge: RPCError(.requestTooLarge, message)
        case .invalidRequestContent: RPCError(.invalidRequestContent, message)
        case .tooManyRequests: RPCError(.tooManyRequests, message)
        case .noWorker, .shuttingDown: RPCError(.serviceUnavailable, message, reason: code.rawValue)
        case .outcomeUnknown, .storage: RPCError(.internalError, message, reason: code.rawValue)
        }
    }
}

import ShoalProtocol

/// The worker module's one error type. Each code maps to the JSON-RPC error of docs/api.md,
/// so the worker's service can throw it straight back to the gateway.
package typealias WorkerError = CodedError<WorkerErrorCode>

/// What went wrong in the worker.
package enum WorkerErrorCode: String, RPCErrorCode {
    /// The request never reached the instance (connect refused, probe failed): retry is safe.
    case notDelivered
    /// The transfer failed after the request may have reached the handler: never retry.
    case transferFailed
    /// The instance did not answer within the invocation's deadline.
    case timedOut
    /// The instance could not be started.
    case launchFailed
    /// Every attempt allowed by the retry policy failed before reaching a handler.
    case attemptsExhausted
    case unknownFunction
    case unknownDeploy
    case invalidParameter
    /// The function cannot be started here (no bootstrap, no interpreter): AWS's
    /// Runtime.InvalidEntrypoint, which a caller reports as a function error.
    case invalidEntrypoint
    case payloadTooLarge
    /// The call waited `maxQueueWait` for an instance (the function is at its cap) and ran
    /// nowhere: AWS's throttle, TooManyRequestsException.
    case queueWaitExceeded
    /// A synchronous call found the function's reserved concurrency in use: AWS's throttle.
    case reservedConcurrencyExceeded
    case unauthorized
    case shuttingDown
    /// The worker itself failed (disk, resources).
    case internalFailure
    package func rpcError(_ message: String) -> RPCError {
        switch self {
        case .unknownFunction: RPCError(.resourceNotFound, message)
        case .unknownDeploy: RPCError(.resourceNotFound, message, reason: "unknown deploy")
        case .invalidParameter: RPCError(.invalidParams, message)
        case .invalidEntrypoint: RPCError(.invalidParams, message, reason: WorkerAPI.invalidEntrypointReason)
        case .payloadTooLarge: RPCError(.requestTooLarge, message)
        case .queueWaitExceeded: RPCError(.tooManyRequests, message, reason: WorkerAPI.queueWaitExceededReason)
        case .reservedConcurrencyExceeded: RPCError(.tooManyRequests, message, reason: WorkerAPI.reservedConcurrencyReason)
        case .unauthorized: RPCError(.invalidRequest, message, reason: "unauthorized")
        case .notDelivered, .attemptsExhausted, .shuttingDown: RPCError(.serviceUnavailable, message, reason: rawValue)
        case .transferFailed, .timedOut, .launchFailed, .internalFailure: RPCError(.internalError, message, reason: rawValue)
        }
    }
}

import Foundation
import ShoalProtocol

extension InvocationBroker {
    /// What the broker knows about the function it fronts; from the Lambda environment.
    package struct Configuration: Sendable {
        package var functionName = "function"
        package var functionARN = "arn:aws:lambda:us-east-1:000000000000:function:function"
        package var version = "$LATEST"
        package var memoryMB = 128
        /// The function's configured timeout, enforced here from the moment the runtime takes
        /// the event (as Lambda: starting the runtime is not part of it).
        package var timeout: Duration = .seconds(3)
        /// How long a (re)starting runtime may take to ask for its first event.
        package var initTimeout: Duration = .seconds(10)
        /// Largest request or response payload (6 MiB, as Lambda's synchronous invoke).
        package var maximumPayloadBytes = 6 * 1024 * 1024
        /// How much of one invocation's log goes back with `X-Amz-Log-Type: Tail`.
        package var logTailBytes = 4096
        /// Also write START/END/REPORT lines to this process's stderr (the instance's log).
        package var echoLogLines = true

        package init() {}
    }

    /// One event handed to the runtime through `/runtime/invocation/next`.
    package struct Invocation: Sendable {
        package var requestID: String
        package var payload: [UInt8]
        package var deadline: Date
        package var functionARN: String
        package var traceID: String
        package var clientContext: String?
        package var cognitoIdentity: String?
    }

    /// What the invoke caller receives, in order: one head, body chunks, one end.
    package enum ResponseEvent: Sendable, Hashable {
        case head(status: Int, headers: [String: String])
        case body([UInt8])
        /// The end; trailers carry a function error that happened after a streamed head.
        case end(trailers: [String: String])
    }

    /// How a Runtime API call went, as the HTTP status and body Lambda gives the runtime.
    package enum APIOutcome: Sendable, Hashable {
        case accepted
        case invalidRequestID(String)
        case tooLarge(String)
        case invalidStateTransition(String)

        package var status: Int {
            switch self {
            case .accepted: 202
            case .invalidRequestID: 400
            case .tooLarge: 413
            case .invalidStateTransition: 403
            }
        }

        package var body: String {
            func error(_ type: String, _ message: String) -> String { LambdaErrorDocument.text(type: type, message: message) }
            switch self {
            case .accepted: return #"{"status":"OK"}"#
            case .invalidRequestID(let message): return error("InvalidRequestID", message)
            case .tooLarge(let message): return error("RequestEntityTooLarge", message)
            case .invalidStateTransition(let message): return error("InvalidStateTransition", message)
            }
        }
    }

    /// Why an invoke was refused before it reached the runtime.
    package enum InvokeRefusal: Error, Sendable, Hashable {
        /// An invocation is in flight: an instance runs one at a time.
        case busy(inFlight: String)
        case tooLarge(Int)
    }

    /// The error document Lambda returns for a failed invocation.
    static func errorDocument(type: String, message: String) -> [UInt8] {
        LambdaErrorDocument.bytes(type: type, message: message)
    }
}

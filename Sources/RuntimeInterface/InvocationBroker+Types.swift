import Foundation
import ShoalProtocol

extension InvocationBroker {
    /// What the broker knows about the function it fronts; from the Lambda environment.
    public struct Configuration: Sendable {
        public var functionName = "function"
        public var functionARN = "arn:aws:lambda:us-east-1:000000000000:function:function"
        public var version = "$LATEST"
        public var memoryMB = 128
        /// The function's configured timeout, enforced here from the moment the runtime takes
        /// the event (as Lambda: starting the runtime is not part of it).
        public var timeout: Duration = .seconds(3)
        /// How long a (re)starting runtime may take to ask for its first event.
        public var initTimeout: Duration = .seconds(10)
        /// Largest request or response payload (6 MiB, as Lambda's synchronous invoke).
        public var maximumPayloadBytes = 6 * 1024 * 1024
        /// How much of one invocation's log goes back with `X-Amz-Log-Type: Tail`.
        public var logTailBytes = 4096
        /// Also write START/END/REPORT lines to this process's stderr (the instance's log).
        public var echoLogLines = true

        public init() {}
    }

    /// One event handed to the runtime through `/runtime/invocation/next`.
    public struct Invocation: Sendable {
        public var requestID: String
        public var payload: [UInt8]
        public var deadline: Date
        public var functionARN: String
        public var traceID: String
        public var clientContext: String?
        public var cognitoIdentity: String?
    }

    /// What the invoke caller receives, in order: one head, body chunks, one end.
    public enum ResponseEvent: Sendable, Hashable {
        case head(status: Int, headers: [String: String])
        case body([UInt8])
        /// The end; trailers carry a function error that happened after a streamed head.
        case end(trailers: [String: String])
    }

    /// How a Runtime API call went, as the HTTP status and body Lambda gives the runtime.
    public enum APIOutcome: Sendable, Hashable {
        case accepted
        case invalidRequestID(String)
        case tooLarge(String)
        case invalidStateTransition(String)

        public var status: Int {
            switch self {
            case .accepted: 202
            case .invalidRequestID: 400
            case .tooLarge: 413
            case .invalidStateTransition: 403
            }
        }

        public var body: String {
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
    public enum InvokeRefusal: Error, Sendable, Hashable {
        /// An invocation is in flight: an instance runs one at a time.
        case busy(inFlight: String)
        case tooLarge(Int)
    }

    /// The error document Lambda returns for a failed invocation.
    static func errorDocument(type: String, message: String) -> [UInt8] {
        LambdaErrorDocument.bytes(type: type, message: message)
    }
}

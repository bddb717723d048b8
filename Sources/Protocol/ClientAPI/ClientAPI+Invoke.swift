extension ClientAPI {
    /// Params of `invoke` and `invoke.stream`.
    public struct InvokeParams: Codable, Sendable {
        /// The function: a name, `NAME:QUALIFIER`, or a full or partial ARN.
        public var functionName: String
        /// Base64 of the event; absent means an empty event.
        public var payload: String?
        /// "RequestResponse" (default), "Event" or "DryRun".
        public var invocationType: String?
        /// "None" (default) or "Tail".
        public var logType: String?
        /// Base64 of a JSON object the runtime gets as the client context.
        public var clientContext: String?

        /// Creates a `InvokeParams`.
        public init(functionName: String, payload: String? = nil, invocationType: String? = nil, logType: String? = nil, clientContext: String? = nil)
        {
            self.functionName = functionName
            self.payload = payload
            self.invocationType = invocationType
            self.logType = logType
            self.clientContext = clientContext
        }
    }

    /// `invoke`: runs the function and answers with its response (RequestResponse), at once
    /// with 202 (Event), or with 204 after checking it exists (DryRun).
    public enum Invoke: RPCMethod {
        /// The parameters: InvokeParams.
        public typealias Params = InvokeParams
        /// The result.
        public struct Result: Codable, Sendable {
            /// The HTTP-style status: 200, 202 for Event, 204 for DryRun.
            public var statusCode: Int
            /// The event or the response, as base64.
            public var payload: String
            /// `Unhandled` when the function failed; nil when it succeeded.
            public var functionError: String?
            /// Base64 of the last 4 KiB of this invocation's log, with `logType: Tail`.
            public var logResult: String?
            /// The version that ran (`$LATEST`).
            public var executedVersion: String?
            /// Creates the result.
            public init(statusCode: Int, payload: String, functionError: String? = nil, logResult: String? = nil, executedVersion: String? = nil) {
                self.statusCode = statusCode
                self.payload = payload
                self.functionError = functionError
                self.logResult = logResult
                self.executedVersion = executedVersion
            }
        }
        /// `invoke`, the method's name on the wire.
        public static let name = "invoke"
    }

    /// One piece of a streamed response (`invoke.stream`), sent to the caller as it is written.
    public enum InvokeChunk: RPCNotification {
        /// The piece and the request it belongs to.
        public struct Params: Codable, Sendable {
            /// The id of the `invoke.stream` request this piece answers.
            public var requestId: RPCID
            /// The bytes, as base64.
            public var payload: String
            /// The content type the function gave its stream, on the first piece only
            /// (`application/vnd.awslambda.http-integration-response` when it wrote an HTTP prelude).
            public var contentType: String?

            /// A piece of the response to `requestId`.
            public init(requestId: RPCID, payload: String, contentType: String? = nil) {
                self.requestId = requestId
                self.payload = payload
                self.contentType = contentType
            }
        }

        /// `invoke.chunk`.
        public static let name = "invoke.chunk"
    }

    /// The body arrives first as `invoke.chunk` notifications (`InvokeChunk`), tagged with this
    /// request's id, then this answer.
    public enum InvokeStream: RPCMethod {
        /// The parameters: InvokeParams.
        public typealias Params = InvokeParams
        /// The result.
        public struct Result: Codable, Sendable {
            /// The HTTP-style status: 200, 202 for Event, 204 for DryRun.
            public var statusCode: Int
            /// `Unhandled` when the function failed; nil when it succeeded.
            public var functionError: String?
            /// A streamed response's late error, as the function's error document.
            public var errorDetails: String?
            /// Base64 of the last 4 KiB of this invocation's log, with `logType: Tail`.
            public var logResult: String?
            /// The version that ran (`$LATEST`).
            public var executedVersion: String?
            /// Creates the result.
            public init(
                statusCode: Int, functionError: String? = nil, errorDetails: String? = nil, logResult: String? = nil, executedVersion: String? = nil
            ) {
                self.statusCode = statusCode
                self.functionError = functionError
                self.errorDetails = errorDetails
                self.logResult = logResult
                self.executedVersion = executedVersion
            }
        }
        /// `invoke.stream`, the method's name on the wire.
        public static let name = "invoke.stream"
    }
}

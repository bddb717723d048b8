extension ClientAPI {
    /// Params of `invoke` and `invoke.stream`.
    public struct InvokeParams: Codable, Sendable {
        public var functionName: String
        /// Base64 of the event; absent means an empty event.
        public var payload: String?
        /// "RequestResponse" (default), "Event" or "DryRun".
        public var invocationType: String?
        /// "None" (default) or "Tail".
        public var logType: String?
        public var clientContext: String?

        public init(functionName: String, payload: String? = nil, invocationType: String? = nil, logType: String? = nil, clientContext: String? = nil)
        {
            self.functionName = functionName
            self.payload = payload
            self.invocationType = invocationType
            self.logType = logType
            self.clientContext = clientContext
        }
    }

    public enum Invoke: RPCMethod {
        public typealias Params = InvokeParams
        public struct Result: Codable, Sendable {
            public var statusCode: Int
            public var payload: String
            public var functionError: String?
            public var logResult: String?
            public var executedVersion: String?
            public init(statusCode: Int, payload: String, functionError: String? = nil, logResult: String? = nil, executedVersion: String? = nil) {
                self.statusCode = statusCode
                self.payload = payload
                self.functionError = functionError
                self.logResult = logResult
                self.executedVersion = executedVersion
            }
        }
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

            /// A piece of the response to `requestId`.
            public init(requestId: RPCID, payload: String) {
                self.requestId = requestId
                self.payload = payload
            }
        }

        /// `invoke.chunk`.
        public static let name = "invoke.chunk"
    }

    /// The body arrives first as `invoke.chunk` notifications (`InvokeChunk`), tagged with this
    /// request's id, then this answer.
    public enum InvokeStream: RPCMethod {
        public typealias Params = InvokeParams
        public struct Result: Codable, Sendable {
            public var statusCode: Int
            public var functionError: String?
            public var errorDetails: String?
            public var logResult: String?
            public var executedVersion: String?
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
        public static let name = "invoke.stream"
    }
}

extension ClientAPI {
    /// A function's reserved concurrency: parameters and result of the three methods below.
    public struct Concurrency: Codable, Sendable, Hashable {
        /// The most calls of the function in flight at once; nil is none reserved.
        public var reservedConcurrentExecutions: Int?
        /// Creates a `Concurrency`.
        public init(reservedConcurrentExecutions: Int? = nil) { self.reservedConcurrentExecutions = reservedConcurrentExecutions }
    }

    /// Parameters naming a function and, for `function.putConcurrency`, its reservation.
    public struct ConcurrencyParams: Codable, Sendable, Hashable {
        /// The function: a name or an unqualified ARN (reservations are the function's).
        public var functionName: String
        /// The reservation to set (0 or more).
        public var reservedConcurrentExecutions: Int?
        /// Creates the parameters.
        public init(functionName: String, reservedConcurrentExecutions: Int? = nil) {
            self.functionName = functionName
            self.reservedConcurrentExecutions = reservedConcurrentExecutions
        }
    }

    /// `function.putConcurrency`: reserves concurrency for a function. A synchronous call over
    /// it is throttled (-32004, `data.reason` ReservedFunctionConcurrentInvocationLimitExceeded);
    /// an Event call waits its turn.
    public enum PutFunctionConcurrency: RPCMethod {
        /// The parameters: ConcurrencyParams.
        public typealias Params = ConcurrencyParams
        /// The result: Concurrency.
        public typealias Result = Concurrency
        /// `function.putConcurrency`, the method's name on the wire.
        public static let name = "function.putConcurrency"
    }

    /// `function.getConcurrency`: the function's reservation, if any.
    public enum GetFunctionConcurrency: RPCMethod {
        /// The parameters: ConcurrencyParams.
        public typealias Params = ConcurrencyParams
        /// The result: Concurrency.
        public typealias Result = Concurrency
        /// `function.getConcurrency`, the method's name on the wire.
        public static let name = "function.getConcurrency"
    }

    /// `function.deleteConcurrency`: removes the function's reservation.
    public enum DeleteFunctionConcurrency: RPCMethod {
        /// The parameters: ConcurrencyParams.
        public typealias Params = ConcurrencyParams
        /// The result: Concurrency (empty).
        public typealias Result = Concurrency
        /// `function.deleteConcurrency`, the method's name on the wire.
        public static let name = "function.deleteConcurrency"
    }
}

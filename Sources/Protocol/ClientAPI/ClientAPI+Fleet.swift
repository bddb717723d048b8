extension ClientAPI {
    /// One warm instance, as `warm.list` shows it.
    public struct WarmInstance: Codable, Sendable, Hashable {
        /// The function: a name, `NAME:QUALIFIER`, or a full or partial ARN.
        public var functionName: String
        /// The id of the worker.
        public var worker: String
        /// The worker's backend, e.g. `process`.
        public var backend: String
        /// The runtime, e.g. `python3.12`, `nodejs20.x`, `provided.al2023`.
        public var runtime: String
        /// The instance's id on its worker.
        public var instanceId: String
        /// Whether the instance is serving an invocation now.
        public var busy: Bool
        /// Seconds since the instance last served an invocation.
        public var lastUsedSecsAgo: Double
        /// Creates a `WarmInstance`.
        public init(functionName: String, worker: String, backend: String, runtime: String, instanceId: String, busy: Bool, lastUsedSecsAgo: Double) {
            self.functionName = functionName
            self.worker = worker
            self.backend = backend
            self.runtime = runtime
            self.instanceId = instanceId
            self.busy = busy
            self.lastUsedSecsAgo = lastUsedSecsAgo
        }
    }

    /// Every worker's warm instances in one list.
    public enum WarmList: RPCMethod {
        /// The parameters: Empty.
        public typealias Params = Empty
        /// The result.
        public struct Result: Codable, Sendable {
            /// The warm instances.
            public var instances: [WarmInstance]
            /// Creates the result.
            public init(instances: [WarmInstance]) { self.instances = instances }
        }
        /// `warm.list`, the method's name on the wire.
        public static let name = "warm.list"
    }

    /// `warm.evict`: stops a function's instances on every worker (busy ones after their call).
    public enum WarmEvict: RPCMethod {
        /// The parameters: FunctionName.
        public typealias Params = FunctionName
        /// The result.
        public struct Result: Codable, Sendable {
            /// Whether any instance was stopped.
            public var evicted: Bool
            /// Creates the result.
            public init(evicted: Bool) { self.evicted = evicted }
        }
        /// `warm.evict`, the method's name on the wire.
        public static let name = "warm.evict"
    }

    /// One worker, as `workers.list` shows it.
    public struct WorkerSummary: Codable, Sendable, Hashable {
        /// The id.
        public var id: String
        /// `HOST:PORT` of the worker.
        public var address: String
        /// "up" or "down".
        public var state: String
        /// The worker's process id, for a local worker.
        public var pid: Int?
        /// The functions.
        public var functions: Int
        /// How many instances the worker keeps.
        public var warmInstances: Int
        /// Invocations the gateway has out to the worker now.
        public var inFlight: Int
        /// Creates a `WorkerSummary`.
        public init(id: String, address: String, state: String, pid: Int?, functions: Int, warmInstances: Int, inFlight: Int) {
            self.id = id
            self.address = address
            self.state = state
            self.pid = pid
            self.functions = functions
            self.warmInstances = warmInstances
            self.inFlight = inFlight
        }
    }

    /// `workers.list`: the fleet, with each worker's state and load.
    public enum WorkersList: RPCMethod {
        /// The parameters: Empty.
        public typealias Params = Empty
        /// The result.
        public struct Result: Codable, Sendable {
            /// The workers.
            public var workers: [WorkerSummary]
            /// Creates the result.
            public init(workers: [WorkerSummary]) { self.workers = workers }
        }
        /// `workers.list`, the method's name on the wire.
        public static let name = "workers.list"
    }
}

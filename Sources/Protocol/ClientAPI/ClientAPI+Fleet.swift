extension ClientAPI {
    public struct WarmInstance: Codable, Sendable, Hashable {
        public var functionName: String
        public var worker: String
        public var backend: String
        public var runtime: String
        public var instanceId: String
        public var busy: Bool
        public var lastUsedSecsAgo: Double
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
        public typealias Params = Empty
        public struct Result: Codable, Sendable {
            public var instances: [WarmInstance]
            public init(instances: [WarmInstance]) { self.instances = instances }
        }
        public static let name = "warm.list"
    }

    public enum WarmEvict: RPCMethod {
        public typealias Params = FunctionName
        public struct Result: Codable, Sendable {
            public var evicted: Bool
            public init(evicted: Bool) { self.evicted = evicted }
        }
        public static let name = "warm.evict"
    }

    public struct WorkerSummary: Codable, Sendable, Hashable {
        public var id: String
        public var address: String
        /// "up" or "down".
        public var state: String
        public var pid: Int?
        public var functions: Int
        public var warmInstances: Int
        public var inFlight: Int
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

    public enum WorkersList: RPCMethod {
        public typealias Params = Empty
        public struct Result: Codable, Sendable {
            public var workers: [WorkerSummary]
            public init(workers: [WorkerSummary]) { self.workers = workers }
        }
        public static let name = "workers.list"
    }
}

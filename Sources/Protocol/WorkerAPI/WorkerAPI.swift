/// The gateway ⇄ worker methods (internal API; docs/api.md describes them).
///
/// A connection starts with `worker.hello`; code and layers travel once, by content hash
/// (`artifact.put`), and function definitions refer to them; invocations carry payloads as
/// base64 like the public API.
public enum WorkerAPI {
    /// `data.reason` of the -32602 a worker answers when a function cannot be started there
    /// (no bootstrap, no interpreter); callers report it as AWS does, as a function error.
    public static let invalidEntrypointReason = "Runtime.InvalidEntrypoint"
    /// `data.reason` of the TooManyRequestsException (-32004) for a call that waited longer than
    /// the worker's maximum queue wait for an instance, and so ran nowhere.
    public static let queueWaitExceededReason = "QueueWaitExceeded"

    /// First call on every connection; a worker started with a token refuses anything else
    /// until it gets the right one, and closes the connection on a wrong one.
    public enum Hello: RPCMethod {
        public struct Params: Codable, Sendable {
            public var token: String?
            public init(token: String?) { self.token = token }
        }
        public struct Result: Codable, Sendable {
            public var workerId: String
            public var pid: Int
            public var backend: String
            public var maxConcurrency: Int

            public init(workerId: String, pid: Int, backend: String, maxConcurrency: Int) {
                self.workerId = workerId
                self.pid = pid
                self.backend = backend
                self.maxConcurrency = maxConcurrency
            }
        }
        public static let name = "worker.hello"
    }

    /// Stores a code or layer zip under its SHA-256 (hex). Idempotent.
    public enum PutArtifact: RPCMethod {
        public struct Params: Codable, Sendable {
            public var sha256: String
            public var zipFile: String
            public init(sha256: String, zipFile: String) {
                self.sha256 = sha256
                self.zipFile = zipFile
            }
        }
        public struct Result: Codable, Sendable {
            public var sha256: String
            public var size: Int

            public init(sha256: String, size: Int) {
                self.sha256 = sha256
                self.size = size
            }
        }
        public static let name = "artifact.put"
    }

    /// Which of these artifacts the worker does not have.
    public enum MissingArtifacts: RPCMethod {
        public struct Params: Codable, Sendable {
            public var sha256s: [String]
            public init(sha256s: [String]) { self.sha256s = sha256s }
        }
        public struct Result: Codable, Sendable {
            public var missing: [String]
            public init(missing: [String]) { self.missing = missing }
        }
        public static let name = "artifact.missing"
    }

    /// Defines or redefines a function; its artifacts must be there (else ResourceNotFound
    /// with `data.reason` "unknown artifact").
    public enum PutFunction: RPCMethod {
        public struct Params: Codable, Sendable {
            public var function: FunctionDefinition
            public init(function: FunctionDefinition) { self.function = function }
        }
        public struct Result: Codable, Sendable {
            public var deployId: String
            public init(deployId: String) { self.deployId = deployId }
        }
        public static let name = "function.put"
    }

    public enum DeleteFunction: RPCMethod {
        public struct Params: Codable, Sendable {
            public var functionName: String
            public init(functionName: String) { self.functionName = functionName }
        }
        public struct Result: Codable, Sendable {
            public var deleted: Bool
            public init(deleted: Bool) { self.deleted = deleted }
        }
        public static let name = "function.delete"
    }

    /// Params of `invoke` and `invoke.stream`.
    public struct InvokeParams: Codable, Sendable {
        public var functionName: String
        /// The deploy the caller expects; a mismatch is ResourceNotFound, `data.reason`
        /// "unknown deploy" (the caller sends the definition, then retries).
        public var deployId: String?
        /// Base64 of the event.
        public var payload: String
        /// A caller-chosen id for `invoke.cancel`.
        public var invocationId: String?
        /// Base64 of a JSON object (the client's `ClientContext`); the runtime gets the JSON
        /// itself in `Lambda-Runtime-Client-Context`, as on Lambda.
        public var clientContext: String?
        /// "Tail" returns the last 4 KiB of this invocation's log in `logResult`.
        public var logType: String?
        /// For `invoke.stream`: the chunk bytes the worker may send before it waits for
        /// `invoke.credit` (flow control per stream); nil sends without waiting.
        public var window: Int?

        public init(
            functionName: String, deployId: String? = nil, payload: String, invocationId: String? = nil, clientContext: String? = nil,
            logType: String? = nil, window: Int? = nil
        ) {
            self.window = window
            self.logType = logType
            self.functionName = functionName
            self.deployId = deployId
            self.payload = payload
            self.invocationId = invocationId
            self.clientContext = clientContext
        }
    }

    public struct InvokeResult: Codable, Sendable {
        public var statusCode: Int
        /// Base64 of the response; empty for `invoke.stream` (the chunks carried it).
        public var payload: String
        /// "Unhandled" (or the runtime's value) when the function failed.
        public var functionError: String?
        public var instanceId: String
        public var coldStart: Bool
        public var attempts: Int
        public var executedVersion: String
        /// Base64 of the invocation's log tail, with `logType` "Tail".
        public var logResult: String?
        /// The runtime's error type of a streamed response that failed after its head.
        public var errorType: String?

        public init(
            statusCode: Int, payload: String, functionError: String?, instanceId: String, coldStart: Bool, attempts: Int, executedVersion: String,
            logResult: String? = nil, errorType: String? = nil
        ) {
            self.errorType = errorType
            self.logResult = logResult
            self.statusCode = statusCode
            self.payload = payload
            self.functionError = functionError
            self.instanceId = instanceId
            self.coldStart = coldStart
            self.attempts = attempts
            self.executedVersion = executedVersion
        }
    }

    public enum Invoke: RPCMethod {
        public typealias Params = InvokeParams
        public typealias Result = InvokeResult
        public static let name = "invoke"
    }

    /// Like `invoke`, but the response body arrives as `invoke.chunk` notifications first.
    public enum InvokeStream: RPCMethod {
        public typealias Params = InvokeParams
        public typealias Result = InvokeResult
        public static let name = "invoke.stream"
    }

    /// One piece of a streamed response, tagged with the id of the `invoke.stream` request.
    public enum InvokeChunk: RPCNotification {
        public struct Params: Codable, Sendable {
            public var requestId: RPCID
            public var payload: String
            public init(requestId: RPCID, payload: String) {
                self.requestId = requestId
                self.payload = payload
            }
        }
        public static let name = "invoke.chunk"
    }

    /// How an invocation stands before its answer, sent by the worker only when the call had
    /// to wait for an instance: `queued` when it starts waiting, `running` when it got one.
    /// The caller moves its deadline to `budgetMs` from now (plus its grace), so time spent
    /// queued never counts against the function's timeout.
    public enum InvokeProgress: RPCNotification {
        public enum Phase: String, Codable, Sendable {
            /// Waiting for an instance; the worker gives up after `budgetMs` (QueueWaitExceeded).
            case queued
            /// On an instance; the invocation ends within `budgetMs` (timeout, plus init on a cold start).
            case running
        }
        public struct Params: Codable, Sendable {
            public var requestId: RPCID
            public var phase: Phase
            public var budgetMs: Int
            public init(requestId: RPCID, phase: Phase, budgetMs: Int) {
                self.requestId = requestId
                self.phase = phase
                self.budgetMs = budgetMs
            }
        }
        public static let name = "invoke.progress"
    }

    /// Lets a stream send `bytes` more chunk bytes: the reader passed that many on.
    public enum InvokeCredit: RPCNotification {
        public struct Params: Codable, Sendable {
            public var requestId: RPCID
            public var bytes: Int
            public init(requestId: RPCID, bytes: Int) {
                self.requestId = requestId
                self.bytes = bytes
            }
        }
        public static let name = "invoke.credit"
    }

    /// Aborts the invocation with this `invocationId` and recycles its instance.
    public enum CancelInvocation: RPCMethod {
        public struct Params: Codable, Sendable {
            public var invocationId: String
            public init(invocationId: String) { self.invocationId = invocationId }
        }
        public struct Result: Codable, Sendable {
            public var cancelled: Bool
            public init(cancelled: Bool) { self.cancelled = cancelled }
        }
        public static let name = "invoke.cancel"
    }

    public enum WarmList: RPCMethod {
        public typealias Params = Empty
        public struct Result: Codable, Sendable {
            public var instances: [WarmInstance]
            public init(instances: [WarmInstance]) { self.instances = instances }
        }
        public static let name = "warm.list"
    }

    public struct WarmInstance: Codable, Sendable, Hashable {
        public var functionName: String
        public var instanceId: String
        public var backend: String
        public var runtime: String
        public var deployId: String
        public var state: String
        public var busy: Bool
        public var lastUsedSecsAgo: Double
        /// host:port of the instance's invoke endpoint (absent while it starts).
        public var endpoint: String?

        public init(
            functionName: String, instanceId: String, backend: String, runtime: String, deployId: String, state: String, busy: Bool,
            lastUsedSecsAgo: Double, endpoint: String? = nil
        ) {
            self.endpoint = endpoint
            self.functionName = functionName
            self.instanceId = instanceId
            self.backend = backend
            self.runtime = runtime
            self.deployId = deployId
            self.state = state
            self.busy = busy
            self.lastUsedSecsAgo = lastUsedSecsAgo
        }
    }

    public enum WarmEvict: RPCMethod {
        public struct Params: Codable, Sendable {
            public var functionName: String
            public init(functionName: String) { self.functionName = functionName }
        }
        public struct Result: Codable, Sendable {
            public var evicted: Bool
            public init(evicted: Bool) { self.evicted = evicted }
        }
        public static let name = "warm.evict"
    }

    public enum Stats: RPCMethod {
        public typealias Params = Empty
        public struct Result: Codable, Sendable {
            public var workerId: String
            public var functions: Int
            public var instances: Int
            public var busyInstances: Int
            public var inFlight: Int
            public var coldStarts: Int
            public var launchFailures: Int
            public var terminations: Int
            public var invocations: [String: Int]

            public init(
                workerId: String, functions: Int, instances: Int, busyInstances: Int, inFlight: Int, coldStarts: Int, launchFailures: Int,
                terminations: Int, invocations: [String: Int]
            ) {
                self.workerId = workerId
                self.functions = functions
                self.instances = instances
                self.busyInstances = busyInstances
                self.inFlight = inFlight
                self.coldStarts = coldStarts
                self.launchFailures = launchFailures
                self.terminations = terminations
                self.invocations = invocations
            }
        }
        public static let name = "stats"
    }
}

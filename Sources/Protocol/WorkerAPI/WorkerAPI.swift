/// The gateway ⇄ worker methods (internal API; docs/api.md describes them).
///
/// A connection starts with `worker.hello`; code and layers travel once, by content hash
/// (`artifact.put`), and function definitions refer to them; invocations carry payloads as
/// base64 like the public API.
package enum WorkerAPI {
    /// `data.reason` of the -32602 a worker answers when a function cannot be started there
    /// (no bootstrap, no interpreter); callers report it as AWS does, as a function error.
    package static let invalidEntrypointReason = "Runtime.InvalidEntrypoint"
    /// `data.reason` of the TooManyRequestsException (-32004) for a call that waited longer than
    /// the worker's maximum queue wait for an instance, and so ran nowhere.
    package static let queueWaitExceededReason = "QueueWaitExceeded"

    /// `data.reason` of the TooManyRequestsException (-32004) for a synchronous call that found
    /// the function's reserved concurrency in use (AWS's own reason).
    package static let reservedConcurrencyReason = "ReservedFunctionConcurrentInvocationLimitExceeded"

    /// First call on every connection; a worker started with a token refuses anything else
    /// until it gets the right one, and closes the connection on a wrong one.
    package enum Hello: RPCMethod {
        package struct Params: Codable, Sendable {
            package var token: String?
            package init(token: String?) { self.token = token }
        }
        package struct Result: Codable, Sendable {
            package var workerId: String
            package var pid: Int
            package var backend: String
            package var maxConcurrency: Int

            package init(workerId: String, pid: Int, backend: String, maxConcurrency: Int) {
                self.workerId = workerId
                self.pid = pid
                self.backend = backend
                self.maxConcurrency = maxConcurrency
            }
        }
        package static let name = "worker.hello"
    }

    /// Stores a code or layer zip under its SHA-256 (hex). Idempotent.
    package enum PutArtifact: RPCMethod {
        package struct Params: Codable, Sendable {
            package var sha256: String
            package var zipFile: String
            package init(sha256: String, zipFile: String) {
                self.sha256 = sha256
                self.zipFile = zipFile
            }
        }
        package struct Result: Codable, Sendable {
            package var sha256: String
            package var size: Int

            package init(sha256: String, size: Int) {
                self.sha256 = sha256
                self.size = size
            }
        }
        package static let name = "artifact.put"
    }

    /// Which of these artifacts the worker does not have.
    package enum MissingArtifacts: RPCMethod {
        package struct Params: Codable, Sendable {
            package var sha256s: [String]
            package init(sha256s: [String]) { self.sha256s = sha256s }
        }
        package struct Result: Codable, Sendable {
            package var missing: [String]
            package init(missing: [String]) { self.missing = missing }
        }
        package static let name = "artifact.missing"
    }

    /// Defines or redefines a function; its artifacts must be there (else ResourceNotFound
    /// with `data.reason` "unknown artifact").
    package enum PutFunction: RPCMethod {
        package struct Params: Codable, Sendable {
            package var function: FunctionDefinition
            package init(function: FunctionDefinition) { self.function = function }
        }
        package struct Result: Codable, Sendable {
            package var deployId: String
            package init(deployId: String) { self.deployId = deployId }
        }
        package static let name = "function.put"
    }

    package enum DeleteFunction: RPCMethod {
        package struct Params: Codable, Sendable {
            package var functionName: String
            package init(functionName: String) { self.functionName = functionName }
        }
        package struct Result: Codable, Sendable {
            package var deleted: Bool
            package init(deleted: Bool) { self.deleted = deleted }
        }
        package static let name = "function.delete"
    }

    /// Params of `invoke` and `invoke.stream`.
    package struct InvokeParams: Codable, Sendable {
        package var functionName: String
        /// The deploy the caller expects; a mismatch is ResourceNotFound, `data.reason`
        /// "unknown deploy" (the caller sends the definition, then retries).
        package var deployId: String?
        /// Base64 of the event.
        package var payload: String
        /// A caller-chosen id for `invoke.cancel`.
        package var invocationId: String?
        /// Base64 of a JSON object (the client's `ClientContext`); the runtime gets the JSON
        /// itself in `Lambda-Runtime-Client-Context`, as on Lambda.
        package var clientContext: String?
        /// "Tail" returns the last 4 KiB of this invocation's log in `logResult`.
        package var logType: String?
        /// For `invoke.stream`: the chunk bytes the worker may send before it waits for
        /// `invoke.credit` (flow control per stream); nil sends without waiting.
        package var window: Int?
        /// The function's reserved concurrency (the gateway's registry keeps it); nil is none.
        package var reservedConcurrency: Int?
        /// An Event invocation: over the reservation it waits its turn instead of being throttled.
        package var waitsWhenThrottled: Bool?

        package init(
            functionName: String, deployId: String? = nil, payload: String, invocationId: String? = nil, clientContext: String? = nil,
            logType: String? = nil, window: Int? = nil, reservedConcurrency: Int? = nil, waitsWhenThrottled: Bool? = nil
        ) {
            self.reservedConcurrency = reservedConcurrency
            self.waitsWhenThrottled = waitsWhenThrottled
            self.window = window
            self.logType = logType
            self.functionName = functionName
            self.deployId = deployId
            self.payload = payload
            self.invocationId = invocationId
            self.clientContext = clientContext
        }
    }

    package struct InvokeResult: Codable, Sendable {
        package var statusCode: Int
        /// Base64 of the response; empty for `invoke.stream` (the chunks carried it).
        package var payload: String
        /// "Unhandled" (or the runtime's value) when the function failed.
        package var functionError: String?
        package var instanceId: String
        package var coldStart: Bool
        package var attempts: Int
        package var executedVersion: String
        /// Base64 of the invocation's log tail, with `logType` "Tail".
        package var logResult: String?
        /// The runtime's error type of a streamed response that failed after its head.
        package var errorType: String?

        package init(
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

    package enum Invoke: RPCMethod {
        package typealias Params = InvokeParams
        package typealias Result = InvokeResult
        package static let name = "invoke"
    }

    /// Like `invoke`, but the response body arrives as `invoke.chunk` notifications first.
    package enum InvokeStream: RPCMethod {
        package typealias Params = InvokeParams
        package typealias Result = InvokeResult
        package static let name = "invoke.stream"
    }

    /// A piece of a streamed response: the client API's notification, the same on both hops.
    package typealias InvokeChunk = ClientAPI.InvokeChunk

    /// How an invocation stands before its answer, sent by the worker only when the call had
    /// to wait for an instance: `queued` when it starts waiting, `running` when it got one.
    /// The caller moves its deadline to `budgetMs` from now (plus its grace), so time spent
    /// queued never counts against the function's timeout.
    package enum InvokeProgress: RPCNotification {
        package enum Phase: String, Codable, Sendable {
            /// Waiting for an instance; the worker gives up after `budgetMs` (QueueWaitExceeded).
            case queued
            /// On an instance; the invocation ends within `budgetMs` (timeout, plus init on a cold start).
            case running
        }
        package struct Params: Codable, Sendable {
            package var requestId: RPCID
            package var phase: Phase
            package var budgetMs: Int
            package init(requestId: RPCID, phase: Phase, budgetMs: Int) {
                self.requestId = requestId
                self.phase = phase
                self.budgetMs = budgetMs
            }
        }
        package static let name = "invoke.progress"
    }

    /// Lets a stream send `bytes` more chunk bytes: the reader passed that many on.
    package enum InvokeCredit: RPCNotification {
        package struct Params: Codable, Sendable {
            package var requestId: RPCID
            package var bytes: Int
            package init(requestId: RPCID, bytes: Int) {
                self.requestId = requestId
                self.bytes = bytes
            }
        }
        package static let name = "invoke.credit"
    }

    /// Aborts the invocation with this `invocationId` and recycles its instance.
    package enum CancelInvocation: RPCMethod {
        package struct Params: Codable, Sendable {
            package var invocationId: String
            package init(invocationId: String) { self.invocationId = invocationId }
        }
        package struct Result: Codable, Sendable {
            package var cancelled: Bool
            package init(cancelled: Bool) { self.cancelled = cancelled }
        }
        package static let name = "invoke.cancel"
    }

    package enum WarmList: RPCMethod {
        package typealias Params = Empty
        package struct Result: Codable, Sendable {
            package var instances: [WarmInstance]
            package init(instances: [WarmInstance]) { self.instances = instances }
        }
        package static let name = "warm.list"
    }

    package struct WarmInstance: Codable, Sendable, Hashable {
        package var functionName: String
        package var instanceId: String
        package var backend: String
        package var runtime: String
        package var deployId: String
        package var state: String
        package var busy: Bool
        package var lastUsedSecsAgo: Double
        /// host:port of the instance's invoke endpoint (absent while it starts).
        package var endpoint: String?

        package init(
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

    package enum WarmEvict: RPCMethod {
        package struct Params: Codable, Sendable {
            package var functionName: String
            package init(functionName: String) { self.functionName = functionName }
        }
        package struct Result: Codable, Sendable {
            package var evicted: Bool
            package init(evicted: Bool) { self.evicted = evicted }
        }
        package static let name = "warm.evict"
    }

    package enum Stats: RPCMethod {
        package typealias Params = Empty
        package struct Result: Codable, Sendable {
            package var workerId: String
            package var functions: Int
            package var instances: Int
            package var busyInstances: Int
            package var inFlight: Int
            package var coldStarts: Int
            package var launchFailures: Int
            package var terminations: Int
            package var invocations: [String: Int]

            package init(
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
        package static let name = "stats"
    }
}

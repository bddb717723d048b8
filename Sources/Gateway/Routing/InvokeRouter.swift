import Foundation
import Logging
import NIOConcurrencyHelpers
import ShoalProtocol

/// Sends invocations to the worker that owns the function, with the three rules that make
/// failover safe:
///
/// - Code travels lazily. A worker that lacks the function's current deploy (it never had
///   it, restarted, or the function changed) answers ResourceNotFound before running
///   anything; the gateway sends the missing blobs and the definition, then calls again.
/// - A call that never left the gateway (`notSent`: the connection was already gone) is
///   re-routed: the worker leaves the ring and the function's next owner takes the call.
/// - A call that may have reached the handler (the connection closed while it was out) is
///   never sent again: the client gets ServiceException.
///
/// The gateway's own deadline is the function's timeout plus `invokeGrace`; a call that has to
/// wait for an instance moves it through the worker's `invoke.progress` (set up in `Gateway`),
/// so time spent queued is never the function's. When it passes, the client gets the timeout
/// result of docs/api.md and the worker gets `$/cancel`, which aborts the transfer and recycles
/// the instance.
final class InvokeRouter: Sendable {
    struct Configuration: Sendable {
        var invokeGrace: Duration = .seconds(2)
        /// Owners tried for one call before giving up with ServiceUnavailable.
        var maximumRoutes = 4
        /// How long a call waits for some worker to be up before ServiceUnavailable.
        var noWorkerWait: Duration = .seconds(3)
        /// Unacknowledged chunk bytes a worker may send per stream.
        var streamWindow = 1024 * 1024
    }

    let configuration: Configuration
    let registry: FunctionRegistry
    let workers: WorkerDirectory
    let metrics: GatewayMetrics
    let relays: StreamRelays
    private let logger: Logger

    init(
        configuration: Configuration, registry: FunctionRegistry, workers: WorkerDirectory, metrics: GatewayMetrics, relays: StreamRelays,
        logger: Logger
    ) {
        self.configuration = configuration
        self.registry = registry
        self.workers = workers
        self.metrics = metrics
        self.relays = relays
        self.logger = logger
    }

    // MARK: Invocations

    /// A synchronous invoke through the owner; the answer is the worker's, or the timeout result.
    func invoke(_ record: FunctionRecord, deployID: String, _ params: ClientAPI.InvokeParams) async throws -> ClientAPI.Invoke.Result {
        let started = ContinuousClock.now
        let request = workerRequest(record, deployID: deployID, params)
        do {
            let (link, result) = try await onOwner(record, deployID: deployID) { link, connection in
                (link, try await connection.call(WorkerAPI.Invoke.self, request, timeout: deadline(record)))
            }
            account(result, worker: link.id, since: started)
            return Self.clientResult(result)
        } catch let error as RPCError {
            if let result = resultInPlace(of: error, record) { return result }
            throw error
        }
    }

    /// What a function gets when the client sent no payload: Lambda passes `{}`.
    private static let emptyEvent = Base64.encode(Array("{}".utf8))

    private func workerRequest(_ record: FunctionRecord, deployID: String, _ params: ClientAPI.InvokeParams, window: Int? = nil)
        -> WorkerAPI.InvokeParams
    {
        let payload = params.payload ?? ""
        return WorkerAPI.InvokeParams(
            functionName: record.workerName, deployId: deployID, payload: payload.isEmpty ? Self.emptyEvent : payload,
            clientContext: params.clientContext, logType: params.logType, window: window,
            reservedConcurrency: record.reservedConcurrency, waitsWhenThrottled: params.invocationType == "Event" ? true : nil
        )
    }

    /// What the client gets of the worker's result.
    private static func clientResult(_ result: WorkerAPI.InvokeResult) -> ClientAPI.Invoke.Result {
        .init(
            statusCode: result.statusCode, payload: result.payload, functionError: result.functionError,
            logResult: result.logResult, executedVersion: result.executedVersion)
    }

    /// The invoke result AWS gives where the call failed: the timeout result, or a function
    /// that cannot start (a function error, not a failed call). Nil for every other error.
    private func resultInPlace(of error: RPCError, _ record: FunctionRecord) -> ClientAPI.Invoke.Result? {
        if error.code == .timedOut { return timedOut(record) }
        if error.data?.reason == WorkerAPI.invalidEntrypointReason { return Self.invalidEntrypoint(error) }
        return nil
    }

    /// AWS reports a function that cannot start as a function error, not a failed call.
    static func invalidEntrypoint(_ error: RPCError) -> ClientAPI.Invoke.Result {
        .init(
            statusCode: 200, payload: LambdaErrorDocument.base64(type: WorkerAPI.invalidEntrypointReason, message: error.message),
            functionError: "Unhandled", executedVersion: "$LATEST")
    }

    /// A streamed invoke: chunks go to `deliver` as the function writes them.
    func invokeStream(
        _ record: FunctionRecord, deployID: String, _ params: ClientAPI.InvokeParams, deliver: @escaping StreamRelay.Deliver
    ) async throws -> ClientAPI.InvokeStream.Result {
        let started = ContinuousClock.now
        let request = workerRequest(record, deployID: deployID, params, window: configuration.streamWindow)
        let opened = NIOLockedValueBox<StreamRelays.Key?>(nil)
        defer { opened.withLockedValue { $0 }.map(relays.close) }
        do {
            let (link, result) = try await onOwner(record, deployID: deployID) { link, connection in
                let result = try await connection.call(WorkerAPI.InvokeStream.self, request, timeout: deadline(record)) { [relays] id in
                    let key = relays.open(StreamRelay(deliver: deliver, worker: connection, workerRequestID: id))
                    opened.withLockedValue { $0 = key }
                }
                return (link, result)
            }
            account(result, worker: link.id, since: started)
            // A function that failed before it wrote a byte sent its error document instead.
            let document = Base64.decode(result.payload).flatMap { $0.isEmpty ? nil : String(decoding: $0, as: UTF8.self) }
            return .init(
                statusCode: result.statusCode, functionError: result.functionError,
                errorDetails: document
                    ?? result.errorType.map { LambdaErrorDocument.text(type: $0, message: "the function failed after its response began") },
                logResult: result.logResult, executedVersion: result.executedVersion)
        } catch let error as RPCError {
            if let result = resultInPlace(of: error, record) { return Self.streamed(result) }
            throw error
        }
    }

    /// A buffered error result as a stream's final answer (its body goes to errorDetails).
    private static func streamed(_ result: ClientAPI.Invoke.Result) -> ClientAPI.InvokeStream.Result {
        .init(
            statusCode: result.statusCode, functionError: result.functionError,
            errorDetails: String(decoding: Data(base64Encoded: result.payload) ?? Data(), as: UTF8.self), executedVersion: "$LATEST")
    }

    private func deadline(_ record: FunctionRecord) -> Duration {
        .seconds(record.timeout) + configuration.invokeGrace
    }

    private func account(_ result: WorkerAPI.InvokeResult, worker: String, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        metrics.recordAnswer(
            worker: worker, functionError: result.functionError != nil, coldStart: result.coldStart,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// the timeout result of docs/api.md.
    private func timedOut(_ record: FunctionRecord) -> ClientAPI.Invoke.Result {
        metrics.increment(.timeouts, labels: [("worker", workers.owner(of: record.name)?.id ?? "none")])
        logger.warning("invocation timed out at the gateway", metadata: ["function": "\(record.name)", "timeout": "\(record.timeout)"])
        let message = "\(UUID().uuidString.lowercased()) Task timed out after \(record.timeout).00 seconds"
        return .init(
            statusCode: 200, payload: LambdaErrorDocument.base64(type: "Sandbox.Timedout", message: message),
            functionError: "Unhandled", executedVersion: "$LATEST")
    }

    // MARK: Routing

    /// Runs `body` against the function's current owner, deploying the function there first
    /// when needed, and re-routing when the call provably never reached a worker.
    func onOwner<T: Sendable>(
        _ record: FunctionRecord, deployID: String,
        _ body: (WorkerLink, RPCConnection) async throws -> T
    ) async throws -> T {
        var lastFailure = "no worker is up"
        for route in 1...configuration.maximumRoutes {
            let (link, connection) = try await currentOwner(of: record.name)
            do {
                if link.deployedID(of: record.workerName) != deployID {
                    do {
                        try await link.deployOnce(record.workerName, deployID: deployID) { [self] in
                            try await deploy(record, to: link, over: connection)
                        }
                    } catch let error as RPCError where error.code == .connectionClosed {
                        // Only code and definitions were in flight: safe to try the next owner.
                        lastFailure = "worker \(link.id) was lost while the function was sent to it"
                        workers.markDown(link, connection: connection)
                        metrics.increment(.retries, labels: [("worker", link.id)])
                        continue
                    }
                }
                return try await link.track { try await body(link, connection) }
            } catch let error as RPCError {
                switch recovery(after: error, on: link, connection, function: record.workerName) {
                case .reroute(let why):
                    lastFailure = why
                case .redeploy(let why) where route < configuration.maximumRoutes:
                    lastFailure = why
                case .redeploy:
                    throw error
                case .fail(let final):
                    throw final
                }
            }
        }
        metrics.increment(.serviceErrors, labels: [("worker", "none")])
        throw GatewayError(.noWorker, "no worker could take the call: \(lastFailure)")
    }

    /// What a failed call to a worker means for the invocation.
    enum Recovery {
        /// It never left: the worker was marked down; the next owner may take the call.
        case reroute(String)
        /// The worker lacks the function's deploy (it restarted, or the function changed)
        /// and ran nothing: send the deploy, then call again.
        case redeploy(String)
        /// The client gets this error: the call may have reached the handler, or failed on
        /// its own terms.
        case fail(any Error)
    }

    /// The failover rules of this type's doc comment for `error`, with their bookkeeping
    /// (the worker marked down, its deploy forgotten, the metrics counted).
    func recovery(after error: RPCError, on link: WorkerLink, _ connection: RPCConnection, function name: String) -> Recovery {
        switch error.code {
        case .notSent:
            workers.markDown(link, connection: connection)
            metrics.increment(.retries, labels: [("worker", link.id)])
            return .reroute("worker \(link.id) was gone before the call left: \(error.message)")
        case .resourceNotFound:
            link.forgetDeployed(name)
            return .redeploy(error.message)
        case .connectionClosed:
            metrics.increment(.serviceErrors, labels: [("worker", link.id)])
            return .fail(
                GatewayError(.outcomeUnknown, "worker \(link.id) was lost while the invocation was in flight; it may have run, so it is not retried"))
        default:
            return .fail(error)
        }
    }

    /// The owner now, waiting briefly while no worker is up (one may be rejoining).
    private func currentOwner(of name: String) async throws -> (WorkerLink, RPCConnection) {
        let deadline = ContinuousClock.now + configuration.noWorkerWait
        while true {
            if let link = workers.owner(of: name), let connection = link.connection() { return (link, connection) }
            guard ContinuousClock.now < deadline else {
                metrics.increment(.serviceErrors, labels: [("worker", "none")])
                throw GatewayError(.noWorker, "no worker is up to take function \(name)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Deploys the function on its owner now (an image function's image is pulled there).
    func prepare(_ record: FunctionRecord, deployID: String) async throws {
        try await onOwner(record, deployID: deployID) { _, _ in }
    }

    /// Sends the blobs the worker lacks, then the definition.
    private func deploy(_ record: FunctionRecord, to link: WorkerLink, over connection: RPCConnection) async throws {
        let missing = try await connection.call(WorkerAPI.MissingArtifacts.self, .init(sha256s: record.artifacts)).missing
        for sha256 in missing {
            let bytes = try await registry.blob(sha256)
            _ = try await connection.call(WorkerAPI.PutArtifact.self, .init(sha256: sha256, zipFile: Data(bytes).base64EncodedString()))
        }
        let deployed = try await connection.call(WorkerAPI.PutFunction.self, .init(function: record.definition))
        link.recordDeployed(record.workerName, deployID: deployed.deployId)
        logger.debug("function deployed", metadata: ["function": "\(record.name)", "worker": "\(link.id)", "blobs": "\(missing.count)"])
    }
}

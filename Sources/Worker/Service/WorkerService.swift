import Foundation
import Logging
import NIOConcurrencyHelpers
import ShoalLambda
import ShoalProtocol

/// The worker's JSON-RPC service: the internal API of `WorkerAPI`, over the warm pools, the
/// artifact store and the backend.
///
/// Every connection must open with `worker.hello`; with a token configured, a wrong one is
/// answered with an error and the connection closed. Tokens are compared in constant time.
package final class WorkerService: Sendable {
    package struct Configuration: Sendable {
        package var workerID: String
        /// Shared secret the gateway must present (`--token`, `SHOAL_TOKEN`); nil admits all.
        package var token: String?
        /// Largest synchronous invoke payload (6 MiB, as AWS).
        package var maximumPayloadBytes = 6 * 1024 * 1024

        package init(workerID: String, token: String? = nil) {
            self.workerID = workerID
            self.token = token
        }
    }

    package let configuration: Configuration
    package let pools: WarmPoolManager
    let artifacts: ArtifactStore
    let backend: any InstanceBackend
    let logger: Logger
    private let admitted = NIOLockedValueBox<Set<ObjectIdentifier>>([])
    /// Connections already logged for a refused call: one warning per connection, not per call.
    private let refused = NIOLockedValueBox<Set<ObjectIdentifier>>([])
    private let running = NIOLockedValueBox<[String: Task<InvocationOutcome, any Error>]>([:])
    private let credits = StreamCredits()

    package init(
        configuration: Configuration, pools: WarmPoolManager, artifacts: ArtifactStore, backend: any InstanceBackend,
        logger: Logger = Logger(label: "shoal.worker")
    ) {
        self.configuration = configuration
        self.pools = pools
        self.artifacts = artifacts
        self.backend = backend
        self.logger = logger
    }

    /// The method table a worker's RPC server serves.
    package var methods: RPCMethodTable {
        var methods = RPCMethodTable()
        methods.register(WorkerAPI.Hello.self) { [self] params, context in try await hello(params, context) }
        methods.register(WorkerAPI.PutArtifact.self) { [self] params, context in
            try admit(context)
            guard let bytes = Base64.decode(params.zipFile) else {
                throw WorkerError(.invalidParameter, "zipFile is not valid base64")
            }
            let size = try await artifacts.put(sha256: params.sha256, bytes: bytes)
            return .init(sha256: params.sha256, size: size)
        }
        methods.register(WorkerAPI.MissingArtifacts.self) { [self] params, context in
            try admit(context)
            return .init(missing: params.sha256s.filter { !artifacts.contains($0) })
        }
        methods.register(WorkerAPI.PutFunction.self) { [self] params, context in
            try admit(context)
            return try await putFunction(params.function)
        }
        methods.register(WorkerAPI.DeleteFunction.self) { [self] params, context in
            try admit(context)
            return .init(deleted: await pools.remove(params.functionName))
        }
        methods.register(WorkerAPI.Invoke.self) { [self] params, context in
            try admit(context)
            return try await invoke(params, context: context, streaming: false)
        }
        methods.register(WorkerAPI.InvokeStream.self) { [self] params, context in
            try admit(context)
            return try await invoke(params, context: context, streaming: true)
        }
        methods.on(WorkerAPI.InvokeCredit.self) { [credits] params, context in
            credits.grant(.init(connection: ObjectIdentifier(context.connection), requestID: params.requestId), bytes: params.bytes)
        }
        methods.register(WorkerAPI.CancelInvocation.self) { [self] params, context in
            try admit(context)
            let task = running.withLockedValue { $0[params.invocationId] }
            task?.cancel()
            return .init(cancelled: task != nil)
        }
        methods.register(WorkerAPI.WarmList.self) { [self] _, context in
            try admit(context)
            return .init(instances: await pools.list())
        }
        methods.register(WorkerAPI.WarmEvict.self) { [self] params, context in
            try admit(context)
            return .init(evicted: await pools.evict(params.functionName))
        }
        methods.register(WorkerAPI.Stats.self) { [self] _, context in
            try admit(context)
            return await pools.statistics(workerID: configuration.workerID)
        }
        return methods
    }

    // MARK: Handlers

    private func hello(_ params: WorkerAPI.Hello.Params, _ context: RPCRequestContext) async throws -> WorkerAPI.Hello.Result {
        if let expected = configuration.token, !Self.constantTimeEqual(params.token ?? "", expected) {
            refuse(context, params.token == nil ? "worker.hello without a token" : "worker.hello with a wrong token")
            context.closeConnectionAfterAnswer()
            throw WorkerError(.unauthorized, "wrong token")
        }
        let connection = ObjectIdentifier(context.connection)
        let inserted = admitted.withLockedValue { $0.insert(connection).inserted }
        if inserted {
            context.connection.closeFuture.whenComplete { [admitted] _ in
                _ = admitted.withLockedValue { $0.remove(connection) }
            }
        }
        return .init(
            workerId: configuration.workerID, pid: Int(ProcessInfo.processInfo.processIdentifier),
            backend: backend.name, maxConcurrency: pools.configuration.pool.maxInstances
        )
    }

    private func admit(_ context: RPCRequestContext) throws {
        guard configuration.token != nil else { return }
        guard admitted.withLockedValue({ $0.contains(ObjectIdentifier(context.connection)) }) else {
            refuse(context, "a call before worker.hello with the token")
            throw WorkerError(.unauthorized, "say worker.hello with the token first")
        }
    }

    /// Logs a refused call, once per connection (a client that keeps calling is one warning).
    private func refuse(_ context: RPCRequestContext, _ what: String) {
        let connection = ObjectIdentifier(context.connection)
        guard refused.withLockedValue({ $0.insert(connection).inserted }) else { return }
        context.connection.closeFuture.whenComplete { [refused] _ in
            _ = refused.withLockedValue { $0.remove(connection) }
        }
        logger.warning(
            "refused a connection that did not present the worker's token",
            metadata: [
                "call": "\(what)", "peer": "\(context.connection.channel.remoteAddress.map { "\($0)" } ?? "unknown")",
            ])
    }

    private func putFunction(_ function: FunctionDefinition) async throws -> WorkerAPI.PutFunction.Result {
        try FunctionValidation.validate(function)
        let needed = (function.codeSHA256.map { [$0] } ?? []) + function.layerSHA256s
        if let missing = needed.first(where: { !artifacts.contains($0) }) {
            throw RPCError(.resourceNotFound, "artifact \(RPCError.echo(missing)) is not on this worker", reason: "unknown artifact")
        }
        try await backend.prepull(function)
        await pools.define(function)
        return .init(deployId: function.deployID.rawValue)
    }

    /// Tells the caller how a call that had to wait stands (`invoke.progress`), so that its
    /// deadline counts the function's time and not the time spent queued.
    private static func progress(_ context: RPCRequestContext) -> WarmPoolManager.Progress {
        { phase, budget in
            let milliseconds = Int(budget.components.seconds) * 1000 + Int(budget.components.attoseconds / 1_000_000_000_000_000)
            _ = context.connection.notifyNow(
                WorkerAPI.InvokeProgress.self, .init(requestId: context.id, phase: phase, budgetMs: max(0, milliseconds)))
        }
    }

    private func payload(of params: WorkerAPI.InvokeParams) throws -> [UInt8] {
        guard let payload = Base64.decode(params.payload) else {
            throw WorkerError(.invalidParameter, "payload is not valid base64")
        }
        guard payload.count <= configuration.maximumPayloadBytes else {
            throw WorkerError(
                .payloadTooLarge, "Request must be smaller than \(configuration.maximumPayloadBytes) bytes for the InvokeFunction operation")
        }
        return payload
    }

    private static func headers(of params: WorkerAPI.InvokeParams) throws(WorkerError) -> [(String, String)] {
        var headers: [(String, String)] = []
        if let clientContext = params.clientContext {
            guard let value = ClientContextHeader.value(base64: clientContext) else {
                throw WorkerError(.invalidParameter, "clientContext is not base64 of a JSON object")
            }
            headers.append((ClientContextHeader.name, value))
        }
        if params.logType == "Tail" { headers.append(("X-Amz-Log-Type", "Tail")) }
        return headers
    }

    /// The version a pool key names (`NAME:VERSION`), `$LATEST` for a bare name.
    static func version(of poolKey: String) -> String {
        guard let colon = poolKey.lastIndex(of: ":") else { return "$LATEST" }
        return String(poolKey[poolKey.index(after: colon)...])
    }

    private static func result(of outcome: InvocationOutcome, version: String) -> WorkerAPI.InvokeResult {
        // One pass over the response's few headers, comparing names, instead of three
        // lookups that each hash a name, on every invoke.
        var functionError: String?
        var logResult: String?
        var errorType: String?
        for (name, value) in outcome.headers {
            switch name {
            case "x-amz-function-error": functionError = value
            case "x-amz-log-result": logResult = value
            case "lambda-runtime-function-error-type": errorType = value
            default: continue
            }
        }
        return .init(
            statusCode: outcome.status, payload: Base64.encode(outcome.body),
            functionError: functionError, instanceId: outcome.instanceID,
            coldStart: outcome.coldStart, attempts: outcome.attempts, executedVersion: version,
            logResult: logResult, errorType: errorType
        )
    }

    /// AWS answers an invoke of a function that cannot start with a function error.
    private static func invalidEntrypoint(_ error: WorkerError, version: String) -> WorkerAPI.InvokeResult {
        .init(
            statusCode: 200, payload: LambdaErrorDocument.base64(type: WorkerAPI.invalidEntrypointReason, message: error.message),
            functionError: "Unhandled",
            instanceId: "", coldStart: true, attempts: 1, executedVersion: version)
    }

    private func invoke(_ params: WorkerAPI.InvokeParams, context: RPCRequestContext, streaming: Bool) async throws -> WorkerAPI.InvokeResult {
        let payload = try payload(of: params)
        let headers = try Self.headers(of: params)
        var onBody: WarmPoolManager.StreamSink?
        let creditKey = StreamCredits.Key(connection: ObjectIdentifier(context.connection), requestID: context.id)
        let credit = streaming ? params.window.map { credits.open(creditKey, window: $0) } : nil
        defer { if credit != nil { credits.close(creditKey) } }
        if streaming {
            onBody = { bytes, contentType in
                try await credit?.spend(bytes.count)
                let chunk = WorkerAPI.InvokeChunk.Params(requestId: context.id, payload: Base64.encode(bytes), contentType: contentType)
                try await context.connection.notify(WorkerAPI.InvokeChunk.self, chunk)
            }
        }
        let run: @Sendable () async throws -> InvocationOutcome = { [pools, onBody, headers] in
            try await pools.invoke(
                params.functionName, expectedDeploy: params.deployId.map(DeployID.init(rawValue:)),
                payload: payload, headers: headers, onBody: onBody, progress: Self.progress(context),
                reservation: params.reservedConcurrency.map { .init(limit: $0, waits: params.waitsWhenThrottled == true) }
            )
        }
        let outcome: InvocationOutcome
        do {
            outcome = try await runCancellable(params, run)
        } catch let error as WorkerError where error.code == .invalidEntrypoint {
            return Self.invalidEntrypoint(error, version: Self.version(of: params.functionName))
        }
        return Self.result(of: outcome, version: Self.version(of: params.functionName))
    }

    /// Runs an invocation, as a task cancellable by `invocationId` when the caller gave one.
    private func runCancellable(_ params: WorkerAPI.InvokeParams, _ run: @escaping @Sendable () async throws -> InvocationOutcome) async throws
        -> InvocationOutcome
    {
        guard let invocationID = params.invocationId else { return try await run() }
        // Cancellable by id from any connection: run it as a task we hold a handle to.
        let task = Task { try await run() }
        running.withLockedValue { $0[invocationID] = task }
        defer { _ = running.withLockedValue { $0.removeValue(forKey: invocationID) } }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// Compares every byte whatever the first difference, so timing reveals nothing.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0 && a.count == b.count
    }
}

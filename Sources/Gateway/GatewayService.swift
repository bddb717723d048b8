import Foundation
import Logging
import ShoalProtocol

/// The client JSON-RPC API of docs/api.md, over the registry, the worker directory and the
/// router.
final class GatewayService: Sendable {
    /// Largest synchronous payload (6 MiB, as AWS) and Event payload (AWS: 1 MiB since 2025).
    static let maximumSyncPayload = 6 * 1024 * 1024
    static let maximumEventPayload = 1024 * 1024

    let registry: FunctionRegistry
    let workers: WorkerDirectory
    let router: InvokeRouter
    let events: EventInvocations

    init(registry: FunctionRegistry, workers: WorkerDirectory, router: InvokeRouter, events: EventInvocations) {
        self.registry = registry
        self.workers = workers
        self.router = router
        self.events = events
    }

    var methods: RPCMethodTable {
        var methods = RPCMethodTable()
        methods.register(ClientAPI.CreateFunction.self) { [self] params, _ in
            try await create(params)
        }
        methods.register(ClientAPI.GetFunction.self) { [self] params, _ in
            try function(params.functionName)
        }
        methods.register(ClientAPI.ListFunctions.self) { [self] params, _ in
            try await list(params)
        }
        methods.register(ClientAPI.UpdateFunctionCode.self) { [self] params, _ in
            try await updateCode(params)
        }
        methods.register(ClientAPI.UpdateFunctionConfiguration.self) { [self] params, _ in
            try await updateConfiguration(params)
        }
        methods.register(ClientAPI.DeleteFunction.self) { [self] params, _ in
            try await delete(params.functionName)
        }
        methods.register(ClientAPI.FunctionOwner.self) { [self] params, _ in
            let record = try registry.function(params.functionName)
            guard let owner = workers.owner(of: record.name) else { throw GatewayError(.noWorker, "no worker is up") }
            return .init(worker: owner.id)
        }
        methods.register(ClientAPI.PublishLayer.self) { [self] params, _ in
            try await registry.publishLayer(params)
        }
        methods.register(ClientAPI.PublishVersion.self) { [self] params, _ in
            try await publishVersion(params)
        }
        methods.register(ClientAPI.ListVersions.self) { [self] params, _ in
            try listVersions(params)
        }
        methods.register(ClientAPI.CreateAlias.self) { [self] params, _ in
            try await createAlias(params)
        }
        methods.register(ClientAPI.GetAlias.self) { [self] params, _ in
            try alias(params.functionName, params.name)
        }
        methods.register(ClientAPI.UpdateAlias.self) { [self] params, _ in
            try await updateAlias(params)
        }
        methods.register(ClientAPI.DeleteAlias.self) { [self] params, _ in
            try await registry.deleteAlias(params.functionName, params.name)
            return Empty()
        }
        methods.register(ClientAPI.ListAliases.self) { [self] params, _ in
            .init(aliases: try aliases(params.functionName, version: params.functionVersion))
        }
        methods.register(ClientAPI.PutFunctionConcurrency.self) { [self] params, _ in
            try await putConcurrency(params.functionName, params.reservedConcurrentExecutions)
        }
        methods.register(ClientAPI.GetFunctionConcurrency.self) { [self] params, _ in
            try getConcurrency(params.functionName)
        }
        methods.register(ClientAPI.DeleteFunctionConcurrency.self) { [self] params, _ in
            try await putConcurrency(params.functionName, nil)
        }
        methods.register(ClientAPI.Invoke.self) { [self] params, _ in
            try await invoke(params)
        }
        methods.register(ClientAPI.InvokeStream.self) { [self] params, context in
            try await invokeStream(params, deliver: StreamRelay.notifications(to: context.connection, for: context.id))
        }
        methods.register(ClientAPI.WarmList.self) { [self] _, _ in
            .init(instances: try await warmInstances())
        }
        methods.register(ClientAPI.WarmEvict.self) { [self] params, _ in
            let record = try registry.function(params.functionName)
            let evicted = await onEveryWorker { connection in
                try await connection.call(WorkerAPI.WarmEvict.self, .init(functionName: record.name)).evicted
            }
            return .init(evicted: evicted.contains(true))
        }
        methods.register(ClientAPI.WorkersList.self) { [self] _, _ in
            // Fresh figures, as `warm.list` gives: the last heartbeat's can be an interval old,
            // and a listing right after an invoke would then contradict `warm.list`. A worker
            // that does not answer in time keeps its last heartbeat's figures.
            let timeout = workers.configuration.heartbeatTimeout
            _ = await onEveryWorker { connection, link in
                link.recordStats(try await connection.call(WorkerAPI.Stats.self, Empty(), timeout: timeout))
            }
            return .init(workers: workers.links.map { $0.summary() })
        }
        return methods
    }

    // MARK: Functions (the JSON-RPC methods and the REST operations both call these)

    /// Creates a function; with `publish`, its version 1 too, which the answer shows.
    func create(_ params: ClientAPI.CreateFunction.Params) async throws -> FunctionConfiguration {
        let created = try await registry.create(params)
        if created.packageType == "Image" {
            // As AWS checks the image at create: its owner pulls it now, and an image that cannot
            // be had (or a worker that cannot run images) refuses the function.
            do {
                try await router.prepare(created, deployID: try registry.routable(created.name).deployID)
            } catch let error as RPCError where error.code == .invalidParams {
                try? await registry.delete(created.name)
                throw error
            }
        }
        guard params.publish == true else { return created.configuration(arns: registry.arns) }
        return try await registry.publishVersion(created.name).configuration(arns: registry.arns)
    }

    func publishVersion(_ params: ClientAPI.PublishVersion.Params) async throws -> FunctionConfiguration {
        try await registry.publishVersion(params.functionName, codeSha256: params.codeSha256, description: params.description)
            .configuration(arns: registry.arns)
    }

    func listVersions(_ params: ClientAPI.ListVersions.Params) throws -> ClientAPI.ListVersions.Result {
        let maxItems = params.maxItems ?? 50
        guard (1...10_000).contains(maxItems) else { throw GatewayError(.invalidParameter, "maxItems must be 1..10000") }
        let page = try registry.listVersions(params.functionName, marker: params.marker, maxItems: maxItems)
        return .init(versions: page.versions.map { $0.configuration(arns: registry.arns) }, nextMarker: page.nextMarker)
    }

    func function(_ nameOrARN: String) throws -> FunctionConfiguration {
        try registry.function(nameOrARN).configuration(arns: registry.arns)
    }

    func list(_ params: ClientAPI.ListFunctions.Params) async throws -> ClientAPI.ListFunctions.Result {
        let maxItems = params.maxItems ?? 50
        guard (1...10_000).contains(maxItems) else { throw GatewayError(.invalidParameter, "maxItems must be 1..10000") }
        let page = await registry.list(marker: params.marker, maxItems: maxItems)
        return .init(functions: page.functions.map { $0.configuration(arns: registry.arns) }, nextMarker: page.nextMarker)
    }

    func updateCode(_ params: ClientAPI.UpdateFunctionCode.Params) async throws -> FunctionConfiguration {
        try await registry.updateCode(params).configuration(arns: registry.arns)
    }

    func updateConfiguration(_ params: ClientAPI.UpdateFunctionConfiguration.Params) async throws -> FunctionConfiguration {
        try await registry.updateConfiguration(params).configuration(arns: registry.arns)
    }

    // MARK: Aliases

    func createAlias(_ params: ClientAPI.AliasParams) async throws -> ClientAPI.AliasConfiguration {
        let (alias, function) = try await registry.createAlias(params)
        return configuration(alias, of: function)
    }

    func updateAlias(_ params: ClientAPI.AliasParams) async throws -> ClientAPI.AliasConfiguration {
        let (alias, function) = try await registry.updateAlias(params)
        return configuration(alias, of: function)
    }

    func alias(_ functionName: String, _ name: String) throws -> ClientAPI.AliasConfiguration {
        let (alias, function) = try registry.alias(functionName, name)
        return configuration(alias, of: function)
    }

    func aliases(_ functionName: String, version: String?) throws -> [ClientAPI.AliasConfiguration] {
        let (aliases, function) = try registry.aliases(of: functionName, version: version)
        return aliases.map { configuration($0, of: function) }
    }

    private func configuration(_ alias: AliasesRecord.Alias, of function: String) -> ClientAPI.AliasConfiguration {
        .init(
            aliasArn: "\(registry.arns.function(function)):\(alias.name)", name: alias.name, functionVersion: alias.functionVersion,
            description: alias.description, routingConfig: alias.weights.map { .init(additionalVersionWeights: $0) }, revisionId: alias.revisionId)
    }

    // MARK: Concurrency

    /// Sets (nil removes) a function's reserved concurrency; a function's, never a version's.
    func putConcurrency(_ nameOrARN: String, _ reserved: Int?) async throws -> ClientAPI.Concurrency {
        guard ARNs.functionReference(nameOrARN).qualifier == nil else {
            throw GatewayError(
                .invalidParameter,
                "This operation is permitted on Lambda functions only. Please specify a function name or an unqualified function ARN.")
        }
        let record = try await registry.setReservedConcurrency(nameOrARN, reserved)
        return .init(reservedConcurrentExecutions: record.reservedConcurrency)
    }

    func getConcurrency(_ nameOrARN: String) throws -> ClientAPI.Concurrency {
        .init(reservedConcurrentExecutions: try registry.function(nameOrARN).reservedConcurrency)
    }

    // MARK: Invoke

    func invoke(_ params: ClientAPI.InvokeParams) async throws -> ClientAPI.Invoke.Result {
        let (record, deployID) = try registry.routable(params.functionName)
        if let early = try precheck(params) {
            if params.invocationType == "Event" {
                // As AWS: the client context reaches a function on synchronous invokes only.
                var params = params
                params.clientContext = nil
                events.enqueue(record, deployID: deployID, params)
            }
            return early
        }
        return try await router.invoke(record, deployID: deployID, params)
    }

    /// A streamed invoke; its chunks go to `deliver` as the function writes them. `routed`
    /// hears the version that will run before anything does (an HTTP head needs it first).
    func invokeStream(
        _ params: ClientAPI.InvokeParams, routed: (@Sendable (String) -> Void)? = nil, deliver: @escaping StreamRelay.Deliver
    ) async throws -> ClientAPI.InvokeStream.Result {
        let (record, deployID) = try registry.routable(params.functionName)
        routed?(record.definition.version ?? "$LATEST")
        guard params.invocationType != "Event" else {
            // As AWS's InvokeWithResponseStream: RequestResponse or DryRun only.
            throw GatewayError(.invalidParameter, "invoke.stream takes invocationType RequestResponse or DryRun")
        }
        if let early = try precheck(params) {
            return .init(statusCode: early.statusCode, executedVersion: early.executedVersion)
        }
        return try await router.invokeStream(record, deployID: deployID, params, deliver: deliver)
    }

    /// Checks the invocation type, log type, payload (base64, size, JSON) and client
    /// context; answers DryRun (204) and Event (202) here. Nil means: run it synchronously.
    private func precheck(_ params: ClientAPI.InvokeParams) throws -> ClientAPI.Invoke.Result? {
        if let logType = params.logType, !["None", "Tail"].contains(logType) {
            throw GatewayError(.invalidParameter, "logType must be None or Tail")
        }
        guard let payload = Base64.decode(params.payload ?? "") else {
            throw GatewayError(.invalidParameter, "payload is not valid base64")
        }
        let early: ClientAPI.Invoke.Result?
        switch params.invocationType ?? "RequestResponse" {
        case "RequestResponse":
            guard payload.count <= Self.maximumSyncPayload else {
                throw GatewayError(.payloadTooLarge, "Request must be smaller than \(Self.maximumSyncPayload) bytes for the InvokeFunction operation")
            }
            early = nil
        case "Event":
            guard payload.count <= Self.maximumEventPayload else {
                throw GatewayError(
                    .payloadTooLarge, "Request must be smaller than \(Self.maximumEventPayload) bytes for the InvokeFunction operation")
            }
            early = .init(statusCode: 202, payload: "", executedVersion: nil)
        case "DryRun":
            early = .init(statusCode: 204, payload: "", executedVersion: nil)
        default:
            throw GatewayError(.invalidParameter, "invocationType must be RequestResponse, Event or DryRun")
        }
        try InvokeContent.check(payload: payload, clientContext: params.clientContext)
        return early
    }

    // MARK: Fleet-wide calls

    func delete(_ name: String) async throws -> Empty {
        let record = try registry.function(name)
        // A version is deleted alone; a function with every version (the worker's pools of
        // `NAME:VERSION` go with `NAME`).
        try await registry.delete(record.version == nil ? record.name : record.workerName)
        _ = await onEveryWorker { connection in
            try await connection.call(WorkerAPI.DeleteFunction.self, .init(functionName: record.workerName)).deleted
        }
        for link in workers.links { link.forgetDeployed(record.workerName) }
        return Empty()
    }

    private func warmInstances() async throws -> [ClientAPI.WarmInstance] {
        let lists = await onEveryWorker { connection, link in
            try await connection.call(WorkerAPI.WarmList.self, Empty()).instances.map { instance in
                ClientAPI.WarmInstance(
                    functionName: instance.functionName, worker: link.id, backend: instance.backend,
                    runtime: instance.runtime, instanceId: instance.instanceId, busy: instance.busy,
                    lastUsedSecsAgo: instance.lastUsedSecsAgo
                )
            }
        }
        return lists.flatMap { $0 }.sorted { ($0.functionName, $0.instanceId) < ($1.functionName, $1.instanceId) }
    }

    private func onEveryWorker<T: Sendable>(_ body: @escaping @Sendable (RPCConnection) async throws -> T) async -> [T] {
        await onEveryWorker { connection, _ in try await body(connection) }
    }

    /// Calls every worker that is up, concurrently; a worker that fails is left out.
    private func onEveryWorker<T: Sendable>(_ body: @escaping @Sendable (RPCConnection, WorkerLink) async throws -> T) async -> [T] {
        await withTaskGroup(of: T?.self) { group in
            for link in workers.links {
                guard let connection = link.connection() else { continue }
                group.addTask { try? await body(connection, link) }
            }
            var results: [T] = []
            for await result in group { if let result { results.append(result) } }
            return results
        }
    }
}

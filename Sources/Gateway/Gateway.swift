import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ShoalProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// The gateway: the client JSON-RPC API, the HTTP port (the AWS REST API, metrics), the durable registry, and
/// routing over the worker fleet.
package final class Gateway: Sendable {
    package struct Configuration: Sendable {
        package var host = "127.0.0.1"
        /// 0 picks a free port (the bound one is in `rpcPort`).
        package var rpcPort = 4570
        package var httpPort = 4566
        package var dataDirectory: String
        /// Workers named on the command line (`--worker HOST:PORT`).
        package var workers: [(host: String, port: Int)] = []
        /// A DNS name whose addresses are workers on `port` (`--workers-dns NAME:PORT`).
        package var workersDNS: (name: String, port: Int)?
        package var dnsInterval: Duration = .seconds(5)
        package var arns = ARNs()
        package var directory = WorkerDirectory.Configuration()
        package var invokeGrace: Duration = .seconds(2)
        package var eventRetries = 2
        package var eventRetryDelay: Duration = .seconds(1)
        /// How long shutdown waits for calls in flight.
        package var drainTimeout: Duration = .seconds(10)
        package var streamWindow = 1024 * 1024
        package var rpc = RPCConnection.Configuration()

        package init(dataDirectory: String) { self.dataDirectory = dataDirectory }
    }

    package let configuration: Configuration
    package let registry: FunctionRegistry
    package let workers: WorkerDirectory
    package let metrics: GatewayMetrics
    let service: GatewayService
    private let rpcServer: RPCServer
    private let httpServer: HTTPPort
    private let dnsTask: Task<Void, Never>?
    private let logger: Logger

    package var rpcPort: Int { rpcServer.port }
    package var httpPort: Int { httpServer.port }

    /// Opens the registry, starts supervising the workers and binds both ports.
    package static func start(_ configuration: Configuration, logger: Logger = Logger(label: "shoal.gateway")) async throws -> Gateway {
        raiseOpenFileLimit()
        let registry = try await FunctionRegistry(directory: configuration.dataDirectory, arns: configuration.arns)
        let relays = StreamRelays()
        var workerMethods = RPCMethodTable()
        workerMethods.on(WorkerAPI.InvokeChunk.self) { params, context in
            relays.chunkArrived(params, from: context.connection)
        }
        // A call that waited for an instance: its deadline counts from here, so time spent
        // queued at the worker is never taken for the function's timeout.
        workerMethods.on(WorkerAPI.InvokeProgress.self) { [grace = configuration.invokeGrace] params, context in
            context.connection.resetTimeout(of: params.requestId, to: .milliseconds(params.budgetMs) + grace)
        }
        let workers = WorkerDirectory(configuration: configuration.directory, methods: workerMethods)
        for worker in configuration.workers { workers.add(host: worker.host, port: worker.port) }
        let metrics = GatewayMetrics()
        let router = InvokeRouter(
            configuration: .init(invokeGrace: configuration.invokeGrace, streamWindow: configuration.streamWindow),
            registry: registry, workers: workers, metrics: metrics, relays: relays, logger: logger
        )
        let events = EventInvocations(
            configuration: .init(maximumRetries: configuration.eventRetries, retryDelay: configuration.eventRetryDelay),
            router: router, logger: logger
        )
        let service = GatewayService(registry: registry, workers: workers, router: router, events: events)
        let rpcServer = try await RPCServer.bind(
            host: configuration.host, port: configuration.rpcPort, methods: service.methods, configuration: configuration.rpc)
        let httpServer: HTTPPort
        do {
            let router = Router(context: RESTRequestContext.self)
            router.add(middleware: RESTMiddleware())
            router.get("/metrics") { _, _ in Self.metricsResponse(metrics: metrics, workers: workers, registry: registry) }
            router.get("/health") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
            router.get("/_shoal/health") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
            let facade = RESTFacade(service: service, defaultRegion: configuration.arns.region)
            router.add(middleware: FunctionURLMiddleware(facade: facade))
            facade.addRoutes(to: router)
            httpServer = try await HTTPPort.start(
                router: router, invoke: facade, host: configuration.host, port: configuration.httpPort, logger: logger)
        } catch {
            await rpcServer.close()
            await workers.shutdown()
            throw error
        }
        let dnsTask = configuration.workersDNS.map { dns in
            Task { await WorkersDNS(name: dns.name, port: dns.port, interval: configuration.dnsInterval, workers: workers, logger: logger).run() }
        }
        return Gateway(
            configuration: configuration, registry: registry, workers: workers, metrics: metrics, service: service,
            rpcServer: rpcServer, httpServer: httpServer, dnsTask: dnsTask, logger: logger)
    }

    private init(
        configuration: Configuration, registry: FunctionRegistry, workers: WorkerDirectory, metrics: GatewayMetrics,
        service: GatewayService, rpcServer: RPCServer, httpServer: HTTPPort, dnsTask: Task<Void, Never>?, logger: Logger
    ) {
        self.configuration = configuration
        self.registry = registry
        self.workers = workers
        self.metrics = metrics
        self.service = service
        self.rpcServer = rpcServer
        self.httpServer = httpServer
        self.dnsTask = dnsTask
        self.logger = logger
    }

    /// Stops taking new work, waits (up to `drainTimeout`) for calls and queued events in
    /// flight, then closes every connection.
    package func shutdown() async {
        let deadline = ContinuousClock.now + configuration.drainTimeout
        await rpcServer.stopAccepting()
        await httpServer.close()
        while rpcServer.requestsBeingServed > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        await service.events.drain(until: deadline)
        let unanswered = rpcServer.requestsBeingServed
        if unanswered > 0 {
            logger.warning("shutting down with calls still in flight", metadata: ["calls": "\(unanswered)"])
        }
        await rpcServer.close()
        dnsTask?.cancel()
        await workers.shutdown()
    }

    // MARK: HTTP

    static func metricsResponse(metrics: GatewayMetrics, workers: WorkerDirectory, registry: FunctionRegistry) -> Response {
        let summaries = workers.links.map { $0.summary() }
        let gauges: [GatewayMetrics.Gauge] = [
            .init(
                name: "shoal_workers_up", help: "Whether each worker is in the ring (1) or not (0).",
                samples: summaries.map { ([("worker", $0.id), ("address", $0.address)], $0.state == "up" ? 1 : 0) }),
            .init(
                name: "shoal_in_flight", help: "Invocations in flight from the gateway, by worker.",
                samples: summaries.map { ([("worker", $0.id)], Double($0.inFlight)) }),
            .init(
                name: "shoal_warm_instances", help: "Instances each worker reported at its last heartbeat.",
                samples: summaries.map { ([("worker", $0.id)], Double($0.warmInstances)) }),
            .init(
                name: "shoal_functions", help: "Functions in the registry.",
                samples: [([], Double(registry.allFunctions.count))]),
        ]
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.render(gauges: gauges))))
    }

    /// A gateway holds one socket per client and per worker; 1,000 clients need more than
    /// the common soft limit of 1,024 descriptors.
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = min(limit.rlim_max, 65_536)
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }
}

import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The gateway's HTTP port: a Hummingbird application on the same event loops as the JSON-RPC
/// port, run in a service group of its own so the gateway can stop it gracefully (answers in
/// flight are finished) whenever its own shutdown comes.
final class HTTPPort: Sendable {
    private let group: ServiceGroup
    private let running: Task<Void, any Error>
    let port: Int

    private init(group: ServiceGroup, running: Task<Void, any Error>, port: Int) {
        self.group = group
        self.running = running
        self.port = port
    }

    /// Binds `host:port` (0 picks one) and serves `router` until `close`.
    static func start(router: Router<RESTRequestContext>, invoke: RESTFacade?, host: String, port: Int, logger: Logger) async throws -> HTTPPort {
        // The bound port, or why the application could not start: whichever comes first.
        let (outcomes, outcome) = AsyncStream.makeStream(of: Result<Int, any Error>.self)
        let application = Application(
            router: router,
            server: LoopPinnedHTTP1Channel.builder(invoke: invoke),
            configuration: .init(address: .hostname(host, port: port), serverName: nil, backlog: 256),
            onServerRunning: { channel in outcome.yield(.success(channel.localAddress?.port ?? 0)) },
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        let running = Task {
            do {
                try await group.run()
            } catch {
                outcome.yield(.failure(error))
                throw error
            }
        }
        for await result in outcomes {
            return HTTPPort(group: group, running: running, port: try result.get())
        }
        throw CancellationError()
    }

    /// Stops accepting, finishes the answers under way, and returns once the port is closed.
    func close() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}

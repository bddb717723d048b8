import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A JSON-RPC server: accepts TCP connections and serves each with the same method table.
///
/// Each accepted connection is a full `RPCConnection`, so a handler can call back or stream
/// notifications to its client through `RPCRequestContext.connection`.
public final class RPCServer: Sendable {
    private let serverChannel: any Channel
    private let connections: NIOLockedValueBox<[ObjectIdentifier: RPCConnection]>

    /// The port actually bound (useful with port 0).
    public let port: Int
    /// The address the server listens on.
    public let host: String

    private init(serverChannel: any Channel, connections: NIOLockedValueBox<[ObjectIdentifier: RPCConnection]>) {
        self.serverChannel = serverChannel
        self.connections = connections
        self.port = serverChannel.localAddress?.port ?? 0
        self.host = serverChannel.localAddress?.ipAddress ?? "127.0.0.1"
    }

    /// Binds `host:port` (port 0 picks a free one) and starts serving.
    public static func bind(
        host: String = "127.0.0.1",
        port: Int,
        methods: RPCMethodTable,
        configuration: RPCConnection.Configuration = .init(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onConnection: (@Sendable (RPCConnection) -> Void)? = nil
    ) async throws -> RPCServer {
        let connections = NIOLockedValueBox<[ObjectIdentifier: RPCConnection]>([:])
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = try RPCConnection.install(on: channel, methods: methods, configuration: configuration)
                    let key = ObjectIdentifier(channel)
                    connections.withLockedValue { $0[key] = connection }
                    channel.closeFuture.whenComplete { _ in
                        _ = connections.withLockedValue { $0.removeValue(forKey: key) }
                    }
                    onConnection?(connection)
                }
            }
            .bind(host: host, port: port)
            .get()
        return RPCServer(serverChannel: channel, connections: connections)
    }

    /// Completes when the server has stopped accepting.
    public var closeFuture: EventLoopFuture<Void> { serverChannel.closeFuture }

    /// The connections open right now.
    public var openConnections: [RPCConnection] {
        connections.withLockedValue { Array($0.values) }
    }

    /// Requests not yet answered on every open connection.
    public var requestsBeingServed: Int {
        openConnections.reduce(0) { $0 + $1.requestsBeingServed }
    }

    /// Stops accepting new connections; open ones keep being served.
    public func stopAccepting() async {
        try? await serverChannel.close()
    }

    /// Stops accepting and closes every open connection.
    public func close() async {
        try? await serverChannel.close()
        for connection in openConnections {
            await connection.close()
        }
    }
}

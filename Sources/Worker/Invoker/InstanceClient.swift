import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// HTTP/1.1 to instances, on the event loop of the calling task.
///
/// Connections to an instance are kept alive and opened from the loop the invoking task runs
/// on (a worker's invocations run on the loop of the gateway connection that brought them);
/// a call takes an idle one on its own loop when there is one. So a warm invoke reads its
/// request, forwards it, reads the answer and replies on one thread. An earlier version
/// handed every request to a dedicated libcurl thread and back: two thread wake-ups per
/// invocation, about a third of the worker's CPU per call (docs/performance-log.md).
///
/// An exchange whose request provably never reached a handler fails with `.notDelivered`
/// (connect refused or timed out, request not written); anything later is `.transferFailed`,
/// `.timedOut` or cancellation, never retried by the pool. A kept-alive connection found
/// closed before any response byte is replaced by a fresh one once, as libcurl does.
package final class InstanceClient: Sendable {
    package struct Configuration: Sendable {
        /// How long establishing a connection may take.
        package var connectTimeout: Duration = .milliseconds(1500)
        /// Idle connections kept per instance endpoint: an instance serves one call at a time,
        /// but calls may reach it from several event loops, each preferring its own connection.
        package var maximumIdlePerEndpoint = 4
        /// Streamed body bytes held for a reader before the connection stops reading.
        package var streamReadWindow = 1024 * 1024

        package init(connectTimeout: Duration = .milliseconds(1500), maximumIdlePerEndpoint: Int = 4, streamReadWindow: Int = 1024 * 1024) {
            self.connectTimeout = connectTimeout
            self.maximumIdlePerEndpoint = maximumIdlePerEndpoint
            self.streamReadWindow = streamReadWindow
        }
    }

    private struct Connections {
        var idle: [Endpoint: [InstanceConnection]] = [:]
        /// How many endpoints `idle` may list before those with an empty list are dropped;
        /// doubles with what is left after each drop, so the drops cost O(1) per call.
        var pruneAt = InstanceClient.firstPrune
        var open: [ObjectIdentifier: InstanceConnection] = [:]
        var stopping = false
    }

    /// How many endpoints may be listed before the first prune of `Connections.idle`.
    static let firstPrune = 64

    /// Endpoints listed for idle connections (tests: what stopped instances leave behind).
    var listedEndpoints: Int { connections.withLockedValue { $0.idle.count } }

    package let configuration: Configuration
    private let group: any EventLoopGroup
    private let connections = NIOLockedValueBox(Connections())

    package init(configuration: Configuration = .init(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
    }

    /// Sends the request and returns the whole response; the waiting task is woken once.
    /// Cancelling it aborts the exchange.
    package func send(_ request: InstanceRequest) async throws -> InstanceResponse {
        try await exchange(request) { connection, reused in
            try await connection.send(request, reused: reused)
        }
    }

    /// Sends the request; the stream yields the head, then body chunks, and ends with the
    /// trailers or a `WorkerError`. At most about `streamReadWindow` bytes wait for the reader;
    /// past that the connection stops reading and TCP holds the instance back.
    package func stream(_ request: InstanceRequest) -> InstanceResponseStream {
        let (parts, continuation) = AsyncThrowingStream.makeStream(of: InstanceResponsePart.self)
        let window = ReadWindow(limit: configuration.streamReadWindow)
        let current = NIOLockedValueBox<InstanceConnection?>(nil)
        let task = Task {
            do {
                try await exchange(request) { connection, reused in
                    current.withLockedValue { $0 = connection }
                    try await connection.stream(request, reused: reused, to: continuation, window: window)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { termination in
            if case .cancelled = termination { task.cancel() }
        }
        return InstanceResponseStream(
            parts: parts, window: window,
            resume: {
                current.withLockedValue { $0 }?.resumeReading(for: window)
            })
    }

    /// Closes every connection; exchanges in flight fail with `.shuttingDown`.
    package func shutdown() async {
        let open = connections.withLockedValue { state in
            state.stopping = true
            state.idle = [:]
            return Array(state.open.values)
        }
        for connection in open { connection.fail(.shuttingDown) }
        for connection in open { try? await connection.channel.closeFuture.get() }
    }

    // MARK: Connections

    /// Runs `body` on an idle connection to the endpoint, or on a fresh one when there is none
    /// or the idle one turns out to be closed; a connection that can go on is kept.
    private func exchange<T>(_ request: InstanceRequest, _ body: (InstanceConnection, Bool) async throws -> T) async throws -> T {
        if let idle = checkout(request.endpoint) {
            do {
                let result = try await body(idle, true)
                checkin(idle, for: request.endpoint)
                return result
            } catch is StaleConnection {
                try Task.checkCancellation()
            }
        }
        return try await exchangeFresh(request, body)
    }

    /// Runs `body` on a fresh connection to the endpoint; it is kept if it can go on.
    private func exchangeFresh<T>(_ request: InstanceRequest, _ body: (InstanceConnection, Bool) async throws -> T) async throws -> T {
        let fresh = try await connect(request.endpoint)
        do {
            let result = try await body(fresh, false)
            checkin(fresh, for: request.endpoint)
            return result
        } catch is StaleConnection {
            throw WorkerError(.transferFailed, "a fresh connection to \(request.endpoint) closed before answering")
        }
    }

    /// An idle connection to the endpoint on the caller's event loop; one on any loop only for
    /// a caller that runs on none. Taking another loop's connection would cost two thread
    /// wake-ups per call (the request handed to that loop, the answer handed back), more than
    /// opening a connection of this loop's own once.
    /// The idle lists are changed in place, through the dictionary's values: a list read out,
    /// changed and stored back was copied (the dictionary still held it) and its endpoint
    /// hashed twice, on every invoke. An endpoint keeps its list when it empties, since its
    /// connection comes back after the call; `checkin` prunes the lists now and then.
    private func checkout(_ endpoint: Endpoint) -> InstanceConnection? {
        let loop = MultiThreadedEventLoopGroup.currentEventLoop
        return connections.withLockedValue { state in
            guard let slot = state.idle.index(forKey: endpoint) else { return nil }
            state.idle.values[slot].removeAll { !$0.isReusable }
            let index =
                if let loop {
                    state.idle.values[slot].lastIndex { $0.channel.eventLoop === loop }
                } else {
                    state.idle.values[slot].indices.last
                }
            return index.map { state.idle.values[slot].remove(at: $0) }
        }
    }

    /// Keeps a connection that can go on; when the endpoint already has its fill of idle ones,
    /// the least recently used makes room (so loops that take turns do not close each other's).
    private func checkin(_ connection: InstanceConnection, for endpoint: Endpoint) {
        guard connection.isReusable else { return }
        let dropped = connections.withLockedValue { state -> InstanceConnection? in
            guard !state.stopping, configuration.maximumIdlePerEndpoint > 0 else { return connection }
            guard let slot = state.idle.index(forKey: endpoint) else {
                // A new endpoint (an instance's first call). Endpoints of stopped instances
                // (closed connections, or none) stay listed until there are as many again
                // as when last pruned; then they go.
                if state.idle.count >= state.pruneAt {
                    state.idle = state.idle.compactMapValues { list in
                        let open = list.filter(\.isReusable)
                        return open.isEmpty ? nil : open
                    }
                    state.pruneAt = max(Self.firstPrune, 2 * state.idle.count)
                }
                state.idle[endpoint] = [connection]
                return nil
            }
            let evicted = state.idle.values[slot].count >= configuration.maximumIdlePerEndpoint ? state.idle.values[slot].removeFirst() : nil
            state.idle.values[slot].append(connection)
            return evicted
        }
        dropped?.channel.close(promise: nil)
    }

    private func connect(_ endpoint: Endpoint) async throws -> InstanceConnection {
        if connections.withLockedValue({ $0.stopping }) {
            throw WorkerError(.shuttingDown, "the invoker is shut down")
        }
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? group.next()
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
        let connection: InstanceConnection
        do {
            let initializer: @Sendable (any Channel) -> EventLoopFuture<InstanceConnection> = { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try InstanceExchangeHandler.install(on: channel.pipeline.syncOperations)
                    return InstanceConnection(channel: channel, handler: handler)
                }
            }
            if let address = try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port) {
                connection = try await bootstrap.connect(to: address, channelInitializer: initializer)
            } else {
                connection = try await bootstrap.connect(host: endpoint.host, port: endpoint.port, channelInitializer: initializer)
            }
        } catch {
            throw WorkerError(.notDelivered, "request never reached the instance: could not connect to \(endpoint): \(error)")
        }
        let key = ObjectIdentifier(connection)
        let admitted = connections.withLockedValue { state -> Bool in
            guard !state.stopping else { return false }
            state.open[key] = connection
            return true
        }
        guard admitted else {
            try? await connection.channel.close()
            throw WorkerError(.shuttingDown, "the invoker is shut down")
        }
        connection.channel.closeFuture.whenComplete { [connections] _ in
            _ = connections.withLockedValue { $0.open.removeValue(forKey: key) }
        }
        return connection
    }
}

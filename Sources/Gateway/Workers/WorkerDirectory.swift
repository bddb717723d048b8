import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ShoalProtocol

/// The workers the gateway routes to, their health, and the hash ring over those that are up.
///
/// Each worker has a supervising task: it connects and says hello (with the fleet token),
/// then sends a `stats` heartbeat every `heartbeatInterval`. `heartbeatMisses` heartbeats in
/// a row unanswered within `heartbeatTimeout`, or the connection closing (a killed worker
/// closes at once), take the worker out of the ring: its functions now hash to their
/// successors and cold-start there.
/// The task keeps trying to reconnect; a worker that answers again rejoins the ring at the
/// same place and gets its functions back.
///
/// Routing reads one locked snapshot (ring plus links), so the invoke path never waits on
/// an actor.
package final class WorkerDirectory: Sendable {
    package struct Configuration: Sendable {
        package var token: String?
        package var heartbeatInterval: Duration = .milliseconds(500)
        package var heartbeatTimeout: Duration = .seconds(1)
        /// Heartbeats missed in a row before the worker leaves the ring. One is not enough:
        /// a worker starting a dozen runtimes on two cores can answer a heartbeat late, and
        /// leaving the ring moves its functions (cold starts elsewhere) and fails its calls
        /// in flight. A worker that died closes its connections and leaves at once.
        package var heartbeatMisses = 3
        package var reconnectInterval: Duration = .milliseconds(300)
        package var connectTimeout: TimeAmount = .seconds(2)
        package var connection = RPCConnection.Configuration()
        /// One connection to each worker is opened per event loop of this group.
        package var group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
        package init(token: String? = nil) { self.token = token }
    }

    /// The ring holds worker ids, not addresses: a worker that comes back at another address
    /// (a restarted replica with a new IP) under its id takes its functions back.
    private struct Fleet {
        var links: [String: WorkerLink] = [:]
        var ring = HashRing()
        /// The worker up under each id in the ring.
        var members: [String: WorkerLink] = [:]
        var supervisors: [String: Task<Void, Never>] = [:]
        var stopped = false

        /// Takes `link` off the ring, if it is the one up under its id.
        mutating func leave(_ link: WorkerLink) {
            guard let id = members.first(where: { $0.value === link })?.key else { return }
            ring.remove(id)
            members[id] = nil
        }
    }

    package let configuration: Configuration
    let methods: RPCMethodTable
    private let fleet = NIOLockedValueBox(Fleet())
    private let logger: Logger

    init(configuration: Configuration, methods: RPCMethodTable, logger: Logger = Logger(label: "shoal.gateway.workers")) {
        self.configuration = configuration
        self.methods = methods
        self.logger = logger
    }

    /// Every worker known, up or down, in address order.
    package var links: [WorkerLink] {
        fleet.withLockedValue { $0.links.values.sorted { $0.address < $1.address } }
    }

    package var upCount: Int { fleet.withLockedValue { $0.ring.nodes.count } }

    /// The worker that owns function `name` now, if any is up.
    package func owner(of name: String) -> WorkerLink? {
        fleet.withLockedValue { fleet in fleet.ring.owner(of: name).flatMap { fleet.members[$0] } }
    }

    /// Starts supervising the worker at `host:port` (no-op if known).
    package func add(host: String, port: Int) {
        let link = WorkerLink(host: host, port: port)
        fleet.withLockedValue { fleet in
            guard !fleet.stopped, fleet.links[link.address] == nil else { return }
            fleet.links[link.address] = link
            fleet.supervisors[link.address] = Task { [self] in await supervise(link) }
        }
    }

    /// Stops supervising a worker that is gone for good (it left the DNS name).
    package func remove(address: String) {
        let (link, task) = fleet.withLockedValue { fleet in
            let link = fleet.links.removeValue(forKey: address)
            if let link { fleet.leave(link) }
            return (link, fleet.supervisors.removeValue(forKey: address))
        }
        task?.cancel()
        for connection in link?.status.withLockedValue({ $0.connections }) ?? [] {
            connection.channel.close(promise: nil)
        }
    }

    /// Waits until `count` workers are up, or `timeout` passes; returns whether they are.
    package func waitUntilUp(_ count: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while upCount < count {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Stops every supervisor and closes every connection.
    package func shutdown() async {
        let (tasks, links) = fleet.withLockedValue { fleet in
            fleet.stopped = true
            defer { fleet.supervisors = [:] }
            return (Array(fleet.supervisors.values), Array(fleet.links.values))
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        for link in links {
            for connection in link.status.withLockedValue({ $0.connections }) { await connection.close() }
        }
    }

    // MARK: Supervision

    private func supervise(_ link: WorkerLink) async {
        var missed = 0
        while !Task.isCancelled {
            guard let connection = link.connection(on: nil) else {  // the first: heartbeats go there
                missed = 0
                do {
                    try await connect(link)
                } catch {
                    logger.debug("worker not reachable", metadata: ["worker": "\(link.address)", "error": "\(error)"])
                    try? await Task.sleep(for: configuration.reconnectInterval)
                }
                continue
            }
            try? await Task.sleep(for: configuration.heartbeatInterval)
            guard !Task.isCancelled else { return }
            do {
                let stats = try await connection.call(WorkerAPI.Stats.self, Empty(), timeout: configuration.heartbeatTimeout)
                link.recordStats(stats)
                missed = 0
            } catch {
                missed += 1
                logger.warning(
                    "worker missed a heartbeat",
                    metadata: [
                        "worker": "\(link.address)", "missed": "\(missed) of \(configuration.heartbeatMisses)", "error": "\(error)",
                    ])
                guard missed >= configuration.heartbeatMisses else { continue }
                markDown(link, connection: connection)
                await connection.close()
            }
        }
    }

    /// Opens one connection per event loop, each with its hello (the worker admits
    /// connection by connection), and joins the worker to the ring once all are open.
    private func connect(_ link: WorkerLink) async throws {
        var connections: [RPCConnection] = []
        do {
            var hello: WorkerAPI.Hello.Result?
            for loop in configuration.group.makeIterator() {
                let connection = try await RPCConnection.connect(
                    host: link.host, port: link.port, methods: methods, configuration: configuration.connection,
                    connectTimeout: configuration.connectTimeout, group: loop
                )
                connections.append(connection)
                hello = try await connection.call(
                    WorkerAPI.Hello.self, .init(token: configuration.token), timeout: configuration.heartbeatTimeout * 2)
            }
            guard let hello, let primary = connections.first else { return }
            let stats = try await primary.call(WorkerAPI.Stats.self, Empty(), timeout: configuration.heartbeatTimeout)
            let joined = fleet.withLockedValue { fleet -> Bool? in
                guard fleet.links[link.address] === link, !fleet.stopped else { return false }
                // Two workers up under one id would share one place on the ring: the second waits.
                if let holder = fleet.members[hello.workerId], holder !== link, holder.status.withLockedValue({ $0.state }) == .up {
                    return nil
                }
                link.status.withLockedValue { status in
                    status = .init(state: .up, connections: connections, hello: hello, stats: stats, inFlight: status.inFlight)
                }
                fleet.ring.insert(hello.workerId)
                fleet.members[hello.workerId] = link
                return true
            }
            guard joined == true else {
                for connection in connections { await connection.close() }
                if joined == nil {
                    logger.error(
                        "a worker claims an id another worker is up under; it stays out of the ring",
                        metadata: ["worker": "\(hello.workerId)", "address": "\(link.address)"])
                    throw GatewayError(.conflict, "worker id \(hello.workerId) is taken")
                }
                return
            }
            logger.info("worker joined", metadata: ["worker": "\(hello.workerId)", "address": "\(link.address)", "pid": "\(hello.pid)"])
            for connection in connections {
                connection.closeFuture.whenComplete { [self] _ in markDown(link, connection: connection) }
            }
        } catch {
            for connection in connections { await connection.close() }
            throw error
        }
    }

    /// Takes a worker out of the ring, if `connection` is one of its current ones, and closes
    /// the others: a worker is up on all its connections or on none.
    func markDown(_ link: WorkerLink, connection: RPCConnection) {
        let dropped = fleet.withLockedValue { fleet -> [RPCConnection]? in
            let dropped = link.status.withLockedValue { status -> [RPCConnection]? in
                guard status.state == .up, status.connections.contains(where: { $0 === connection }) else { return nil }
                defer {
                    status.state = .down
                    status.connections = []
                    status.deployed = [:]
                }
                return status.connections
            }
            if dropped != nil { fleet.leave(link) }
            return dropped
        }
        guard let dropped else { return }
        for other in dropped where other !== connection { other.channel.close(promise: nil) }
        logger.warning("worker left the ring", metadata: ["worker": "\(link.id)", "address": "\(link.address)"])
    }
}

import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ShoalProtocol

/// The workers the gateway routes to, their health, and the hash ring over those that are up.
///
/// Each worker has a supervising task: it connects and says hello (with the fleet token),
/// then sends a `stats` heartbeat every `heartbeatInterval`. A heartbeat unanswered within
/// `heartbeatTimeout`, or the connection closing (a killed worker closes at once), takes the
/// worker out of the ring: its functions now hash to their successors and cold-start there.
/// The task keeps trying to reconnect; a worker that answers again rejoins the ring at the
/// same place and gets its functions back.
///
/// Routing reads one locked snapshot (ring plus links), so the invoke path never waits on
/// an actor.
public final class WorkerDirectory: Sendable {
    public struct Configuration: Sendable {
        public var token: String?
        public var heartbeatInterval: Duration = .milliseconds(500)
        public var heartbeatTimeout: Duration = .seconds(1)
        public var reconnectInterval: Duration = .milliseconds(300)
        public var connectTimeout: TimeAmount = .seconds(2)
        public var connection = RPCConnection.Configuration()
        public init(token: String? = nil) { self.token = token }
    }

    private struct Fleet {
        var links: [String: WorkerLink] = [:]
        var ring = HashRing()
        var supervisors: [String: Task<Void, Never>] = [:]
        var stopped = false
    }

    public let configuration: Configuration
    let methods: RPCMethodTable
    private let fleet = NIOLockedValueBox(Fleet())
    private let logger: Logger

    init(configuration: Configuration, methods: RPCMethodTable, logger: Logger = Logger(label: "shoal.gateway.workers")) {
        self.configuration = configuration
        self.methods = methods
        self.logger = logger
    }

    /// Every worker known, up or down, in address order.
    public var links: [WorkerLink] {
        fleet.withLockedValue { $0.links.values.sorted { $0.address < $1.address } }
    }

    public var upCount: Int { fleet.withLockedValue { $0.ring.nodes.count } }

    /// The worker that owns function `name` now, if any is up.
    public func owner(of name: String) -> WorkerLink? {
        fleet.withLockedValue { fleet in fleet.ring.owner(of: name).flatMap { fleet.links[$0] } }
    }

    /// Starts supervising the worker at `host:port` (no-op if known).
    public func add(host: String, port: Int) {
        let link = WorkerLink(host: host, port: port)
        fleet.withLockedValue { fleet in
            guard !fleet.stopped, fleet.links[link.address] == nil else { return }
            fleet.links[link.address] = link
            fleet.supervisors[link.address] = Task { [self] in await supervise(link) }
        }
    }

    /// Stops supervising a worker that is gone for good (it left the DNS name).
    public func remove(address: String) {
        let (link, task) = fleet.withLockedValue { fleet in
            fleet.ring.remove(address)
            return (fleet.links.removeValue(forKey: address), fleet.supervisors.removeValue(forKey: address))
        }
        task?.cancel()
        if let connection = link?.status.withLockedValue({ $0.connection }) {
            Task { await connection.close() }
        }
    }

    /// Waits until `count` workers are up, or `timeout` passes; returns whether they are.
    public func waitUntilUp(_ count: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while upCount < count {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Stops every supervisor and closes every connection.
    public func shutdown() async {
        let (tasks, links) = fleet.withLockedValue { fleet in
            fleet.stopped = true
            defer { fleet.supervisors = [:] }
            return (Array(fleet.supervisors.values), Array(fleet.links.values))
        }
        tasks.forEach { $0.cancel() }
        for task in tasks { await task.value }
        for link in links {
            if let connection = link.status.withLockedValue({ $0.connection }) { await connection.close() }
        }
    }

    // MARK: Supervision

    private func supervise(_ link: WorkerLink) async {
        while !Task.isCancelled {
            guard let connection = link.connection else {
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
                link.status.withLockedValue { $0.stats = stats }
            } catch {
                logger.warning("worker missed a heartbeat", metadata: ["worker": "\(link.address)", "error": "\(error)"])
                markDown(link, connection: connection)
                await connection.close()
            }
        }
    }

    private func connect(_ link: WorkerLink) async throws {
        let connection = try await RPCConnection.connect(
            host: link.host, port: link.port, methods: methods, configuration: configuration.connection,
            connectTimeout: configuration.connectTimeout
        )
        do {
            let hello = try await connection.call(WorkerAPI.Hello.self, .init(token: configuration.token), timeout: configuration.heartbeatTimeout * 2)
            let stats = try await connection.call(WorkerAPI.Stats.self, Empty(), timeout: configuration.heartbeatTimeout)
            let joined = fleet.withLockedValue { fleet -> Bool in
                guard fleet.links[link.address] === link, !fleet.stopped else { return false }
                link.status.withLockedValue { status in
                    status = .init(state: .up, connection: connection, hello: hello, stats: stats, inFlight: status.inFlight)
                }
                fleet.ring.insert(link.address)
                return true
            }
            guard joined else {
                await connection.close()
                return
            }
            logger.info("worker joined", metadata: ["worker": "\(hello.workerId)", "address": "\(link.address)", "pid": "\(hello.pid)"])
            connection.closeFuture.whenComplete { [self] _ in markDown(link, connection: connection) }
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Takes a worker out of the ring, if `connection` is still its current one.
    func markDown(_ link: WorkerLink, connection: RPCConnection) {
        let left = fleet.withLockedValue { fleet -> Bool in
            let current = link.status.withLockedValue { status -> Bool in
                guard status.connection === connection, status.state == .up else { return false }
                status.state = .down
                status.connection = nil
                status.deployed = [:]
                return true
            }
            if current { fleet.ring.remove(link.address) }
            return current
        }
        if left { logger.warning("worker left the ring", metadata: ["worker": "\(link.id)", "address": "\(link.address)"]) }
    }
}

import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ShoalProtocol

/// The gateway's view of one worker: where it is, the connections to it (while up), what it
/// said in `worker.hello`, its last heartbeat figures, and the gateway's calls in flight to it.
///
/// There is one connection per gateway event loop, so a call goes out on the loop that read
/// it from the client and its answer comes back there: no thread hand-off on the invoke path
/// (each one measured at about 15 CPU µs on the project's machines). The first connection
/// also carries the heartbeats; the worker is up while all of them are open.
///
/// The ring holds the address (`host:port`): a worker that comes back at the same address is
/// the same ring node and gets its functions back, whatever pid or id it has now.
package final class WorkerLink: Sendable {
    package enum State: String, Sendable { case up, down }

    struct Status {
        var state = State.down
        /// One per event loop while up; the first carries the heartbeats.
        var connections: [RPCConnection] = []
        var hello: WorkerAPI.Hello.Result?
        var stats: WorkerAPI.Stats.Result?
        var inFlight = 0
        /// Function name → deploy id this worker was sent over the current connection.
        var deployed: [String: String] = [:]

        func connection(on loop: (any EventLoop)?) -> RPCConnection? {
            guard state == .up, let first = connections.first else { return nil }
            guard let loop else { return first }
            return connections.first { $0.channel.eventLoop === loop } ?? first
        }
    }

    package let host: String
    package let port: Int
    let status = NIOLockedValueBox(Status())

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    package var address: String { "\(host):\(port)" }

    /// The worker's own name (from hello), or its address until it has said hello.
    package var id: String { status.withLockedValue { $0.hello?.workerId } ?? address }

    package var state: State { status.withLockedValue { $0.state } }

    /// The connection on `loop` (the caller's), else the first, if the worker is up.
    func connection(on loop: (any EventLoop)? = MultiThreadedEventLoopGroup.currentEventLoop) -> RPCConnection? {
        status.withLockedValue { $0.connection(on: loop) }
    }

    func deployedID(of function: String) -> String? { status.withLockedValue { $0.deployed[function] } }

    func recordDeployed(_ function: String, deployID: String) {
        status.withLockedValue { $0.deployed[function] = deployID }
    }

    /// Forgets what was deployed of `function` (a bare name: with its versions' pools).
    func forgetDeployed(_ function: String) {
        status.withLockedValue { status in
            for key in status.deployed.keys where key == function || (!function.contains(":") && key.hasPrefix(function + ":")) {
                status.deployed.removeValue(forKey: key)
            }
        }
    }

    /// Deploys in flight, by function name.
    private let deploys = NIOLockedValueBox<[String: (deployID: String, task: Task<Void, any Error>)]>([:])

    /// Runs `deploy` for `function` at `deployID`, or waits for the same deploy already under
    /// way: a burst of first calls of a function sends its code and definition once, not once
    /// per call (200 at once kept the worker too busy to answer its heartbeats).
    func deployOnce(_ function: String, deployID: String, _ deploy: @escaping @Sendable () async throws -> Void) async throws {
        let task = deploys.withLockedValue { deploys in
            if let running = deploys[function], running.deployID == deployID { return running.task }
            let task = Task { try await deploy() }
            deploys[function] = (deployID, task)
            return task
        }
        defer {
            deploys.withLockedValue { deploys in
                if deploys[function]?.task == task { deploys[function] = nil }
            }
        }
        try await task.value
    }

    /// Counts a call in flight for `workers.list` and the metrics.
    func track<T>(_ body: () async throws -> T) async rethrows -> T {
        status.withLockedValue { $0.inFlight += 1 }
        defer { callEnded() }
        return try await body()
    }

    func callEnded() { status.withLockedValue { $0.inFlight -= 1 } }

    /// Keeps the worker's latest `stats` answer, which `summary()` reports.
    func recordStats(_ stats: WorkerAPI.Stats.Result) {
        status.withLockedValue { $0.stats = stats }
    }

    func summary() -> ClientAPI.WorkerSummary {
        status.withLockedValue { status in
            ClientAPI.WorkerSummary(
                id: status.hello?.workerId ?? address, address: address, state: status.state.rawValue,
                pid: status.hello?.pid, functions: status.stats?.functions ?? 0,
                warmInstances: status.stats?.instances ?? 0, inFlight: status.inFlight
            )
        }
    }
}

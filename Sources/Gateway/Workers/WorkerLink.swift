import NIOConcurrencyHelpers
import ShoalProtocol

/// The gateway's view of one worker: where it is, the connection to it (while up), what it
/// said in `worker.hello`, its last heartbeat figures, and the gateway's calls in flight to it.
///
/// The ring holds the address (`host:port`): a worker that comes back at the same address is
/// the same ring node and gets its functions back, whatever pid or id it has now.
public final class WorkerLink: Sendable {
    public enum State: String, Sendable { case up, down }

    struct Status {
        var state = State.down
        var connection: RPCConnection?
        var hello: WorkerAPI.Hello.Result?
        var stats: WorkerAPI.Stats.Result?
        var inFlight = 0
        /// Function name → deploy id this worker was sent over the current connection.
        var deployed: [String: String] = [:]
    }

    public let host: String
    public let port: Int
    let status = NIOLockedValueBox(Status())

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var address: String { "\(host):\(port)" }

    /// The worker's own name (from hello), or its address until it has said hello.
    public var id: String { status.withLockedValue { $0.hello?.workerId } ?? address }

    public var state: State { status.withLockedValue { $0.state } }

    /// The connection, if the worker is up.
    var connection: RPCConnection? {
        status.withLockedValue { $0.state == .up ? $0.connection : nil }
    }

    func deployedID(of function: String) -> String? { status.withLockedValue { $0.deployed[function] } }

    func recordDeployed(_ function: String, deployID: String) {
        status.withLockedValue { $0.deployed[function] = deployID }
    }

    func forgetDeployed(_ function: String) {
        _ = status.withLockedValue { $0.deployed.removeValue(forKey: function) }
    }

    /// Counts a call in flight for `workers.list` and the metrics.
    func track<T>(_ body: () async throws -> T) async rethrows -> T {
        status.withLockedValue { $0.inFlight += 1 }
        defer { status.withLockedValue { $0.inFlight -= 1 } }
        return try await body()
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

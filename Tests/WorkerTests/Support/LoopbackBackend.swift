import Foundation
import NIOConcurrencyHelpers
import ShoalProtocol
import ShoalTestSupport

@testable import ShoalWorker

/// A backend whose instances are real loopback listeners (`ScriptedInstanceServer`), or, as
/// planned per launch, a dead port (connection refused) or a black-holed listener (its
/// accept queue full, so connects hang as they would to a host that drops packets).
final class LoopbackBackend: InstanceBackend {
    enum Kind: Sendable { case live, dead, blackHole }

    private struct State {
        var plan: [Kind]
        var launches: [String] = []
        var terminated: [String] = []
        var blackHoles: [String: BlackHoleListener] = [:]
        var deadPorts: [String: DeadPort] = [:]
    }

    let name = "loopback-test"
    private let live = ScriptedBackend()
    private let state: NIOLockedValueBox<State>
    private let launchDelay: Duration

    init(plan: [Kind] = [], launchDelay: Duration = .milliseconds(5)) {
        state = NIOLockedValueBox(State(plan: plan))
        self.launchDelay = launchDelay
    }

    var ledger: InstanceLedger { live.ledger }
    var launches: [String] { state.withLockedValue { $0.launches } }
    var terminated: [String] { state.withLockedValue { $0.terminated } }
    var running: Set<String> { state.withLockedValue { Set($0.launches).subtracting($0.terminated) } }

    func launch(_ request: LaunchRequest) async throws -> LaunchedInstance {
        try await Task.sleep(for: launchDelay)  // a cold start takes a moment
        let id = request.instanceID
        let kind = state.withLockedValue { state -> Kind in
            state.launches.append(id)
            return state.plan.isEmpty ? .live : state.plan.removeFirst()
        }
        switch kind {
        case .live:
            return try await live.launch(request)
        case .dead:
            let dead = DeadPort()
            state.withLockedValue { $0.deadPorts[id] = dead }
            return LaunchedInstance(instanceID: id, endpoint: Endpoint(host: "127.0.0.1", port: dead.port), handle: "dead")
        case .blackHole:
            let listener = try BlackHoleListener()
            state.withLockedValue { $0.blackHoles[id] = listener }
            return LaunchedInstance(instanceID: id, endpoint: Endpoint(host: "127.0.0.1", port: listener.port), handle: "black-hole")
        }
    }

    func terminate(_ instance: LaunchedInstance) async {
        let (blackHole, dead) = state.withLockedValue { state in
            state.terminated.append(instance.instanceID)
            return (state.blackHoles.removeValue(forKey: instance.instanceID), state.deadPorts.removeValue(forKey: instance.instanceID))
        }
        blackHole?.close()
        dead?.close()
        await live.terminate(instance)
    }

    func prepull(_ function: FunctionDefinition) async throws {}

    func logs(_ instance: LaunchedInstance) async -> String { "" }

    /// Stops whatever is still running (test cleanup).
    func stopAll() async {
        let (holes, dead) = state.withLockedValue { state in
            defer {
                state.blackHoles = [:]
                state.deadPorts = [:]
            }
            return (Array(state.blackHoles.values), Array(state.deadPorts.values))
        }
        for hole in holes { hole.close() }
        for port in dead { port.close() }
        await live.stopAll()
    }
}

/// A loopback listener that never accepts, with its accept queue filled: the kernel drops
/// further SYNs, so a connect hangs until its timeout, like a black-holed peer.
final class BlackHoleListener: @unchecked Sendable {
    let port: Int
    private var fds: [Int32] = []
    private let lock = NIOLock()

    init() throws {
        let (listener, port) = boundLoopbackSocket()
        listen(listener, 0)
        self.port = port
        fds.append(listener)
        // Fill the accept queue; these connections complete the handshake and are never accepted.
        for _ in 0..<4 {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var target = loopbackAddress(port: port)
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            fds.append(client)
        }
        usleep(50_000)
    }

    func close() {
        lock.withLock {
            for fd in fds { Glibc.close(fd) }
            fds.removeAll()
        }
    }
}

import NIOConcurrencyHelpers
import ShoalProtocol

/// A backend whose instances are `ScriptedInstanceServer`s in this process: real loopback
/// HTTP listeners speaking the invoke path, with no runtime behind them. `shoal worker
/// --backend scripted` uses it to measure the worker's own overhead; tests use it to drive
/// the pool over real sockets.
public final class ScriptedBackend: InstanceBackend {
    public let name = "scripted"
    public let ledger = InstanceLedger()
    private let servers = NIOLockedValueBox<[String: ScriptedInstanceServer]>([:])

    public init() {}

    public func launch(_ request: LaunchRequest) async throws -> LaunchedInstance {
        let server = try await ScriptedInstanceServer.start(instanceID: request.instanceID, ledger: ledger)
        servers.withLockedValue { $0[request.instanceID] = server }
        return LaunchedInstance(instanceID: request.instanceID, endpoint: Endpoint(host: "127.0.0.1", port: server.port), handle: "in-process")
    }

    public func terminate(_ instance: LaunchedInstance) async {
        await servers.withLockedValue { $0.removeValue(forKey: instance.instanceID) }?.stop()
    }

    public func prepull(_ function: FunctionDefinition) async throws {}

    public func logs(_ instance: LaunchedInstance) async -> String { "" }

    /// Stops every instance still running.
    public func stopAll() async {
        let all = servers.withLockedValue { servers in
            defer { servers.removeAll() }
            return Array(servers.values)
        }
        for server in all { await server.stop() }
    }
}

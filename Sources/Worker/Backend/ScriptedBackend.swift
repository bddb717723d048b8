import CShoalSystem
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ShoalProtocol

/// A backend whose instances are `ScriptedInstanceServer`s in this process: real loopback
/// HTTP listeners speaking the invoke path, with no runtime behind them. `shoal worker
/// --backend scripted` uses it to measure the worker's own overhead; tests use it to drive
/// the pool over real sockets.
package final class ScriptedBackend: InstanceBackend {
    package let name = "scripted"
    package let ledger = InstanceLedger()
    private let servers = NIOLockedValueBox<[String: ScriptedInstanceServer]>([:])
    private let group: any EventLoopGroup

    /// `group` runs the instances' sockets. `shoal worker` gives them a thread of their own
    /// (`ownThread()`), as real instances are other processes: the worker's thread is then
    /// woken by their answers as it would be by a runtime's, and benchmarks can tell the
    /// instances' CPU from the worker's by thread.
    package init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    /// The name of the thread `ownThread()` makes (at most 15 bytes, a Linux thread name).
    package static let threadName = "shoal-instances"

    /// A one-thread event loop group named `threadName`, for the instances of a worker; it
    /// lives as long as the worker process.
    package static func ownThread() async throws -> MultiThreadedEventLoopGroup {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // Instances are other processes, which run under the default scheduling policy
        // whatever the worker's loops run under (`LoopScheduling`); so does this thread.
        try await group.next().submit {
            _ = shoal_set_thread_name(threadName)
            _ = shoal_set_thread_scheduling(0, 0)
        }.get()
        return group
    }

    package func launch(_ request: LaunchRequest) async throws -> LaunchedInstance {
        let server = try await ScriptedInstanceServer.start(instanceID: request.instanceID, ledger: ledger, group: group)
        servers.withLockedValue { $0[request.instanceID] = server }
        return LaunchedInstance(instanceID: request.instanceID, endpoint: Endpoint(host: "127.0.0.1", port: server.port), handle: "in-process")
    }

    package func terminate(_ instance: LaunchedInstance) async {
        await servers.withLockedValue { $0.removeValue(forKey: instance.instanceID) }?.stop()
    }

    package func prepull(_ function: FunctionDefinition) async throws {}

    package func logs(_ instance: LaunchedInstance) async -> String { "" }

    /// Stops every instance still running.
    package func stopAll() async {
        let all = servers.withLockedValue { servers in
            defer { servers.removeAll() }
            return Array(servers.values)
        }
        for server in all { await server.stop() }
    }
}

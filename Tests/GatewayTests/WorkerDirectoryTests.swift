import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ShoalProtocol
import ShoalTestSupport
import Testing

@testable import ShoalGateway

/// The worker directory against a real JSON-RPC worker stand-in on loopback: one connection
/// per gateway event loop, each said hello on, calls going out on the caller's own loop, and
/// a worker that loses any of its connections leaving the ring whole and rejoining.
@Suite struct WorkerDirectoryTests {
    /// A worker that answers hello and stats, and remembers the connections that said hello.
    /// While `stalledStats` is above zero, each stats call takes it down by one and answers
    /// only after `stall`: a heartbeat the gateway gives up on.
    final class StandIn: Sendable {
        let helloConnections = NIOLockedValueBox<[RPCConnection]>([])
        let stalledStats = NIOLockedValueBox(0)
        let server: RPCServer

        init(stall: Duration = .milliseconds(500)) async throws {
            var methods = RPCMethodTable()
            let hellos = helloConnections
            let stalled = stalledStats
            methods.register(WorkerAPI.Hello.self) { _, context in
                hellos.withLockedValue { $0.append(context.connection) }
                return .init(workerId: "stand-in", pid: 1, backend: "none", maxConcurrency: 1)
            }
            methods.register(WorkerAPI.Stats.self) { _, _ in
                let stalls = stalled.withLockedValue { count in
                    defer { count = max(count - 1, 0) }
                    return count > 0
                }
                if stalls { try? await Task.sleep(for: stall) }
                return .init(
                    workerId: "stand-in", functions: 0, instances: 0, busyInstances: 0, inFlight: 0,
                    coldStarts: 0, launchFailures: 0, terminations: 0, invocations: [:])
            }
            server = try await RPCServer.bind(port: 0, methods: methods)
        }
    }

    @Test func oneConnectionPerEventLoopAndCallsLeaveOnTheCallersLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)
        let worker = try await StandIn()
        var configuration = WorkerDirectory.Configuration()
        configuration.group = group
        configuration.heartbeatInterval = .milliseconds(100)
        let directory = WorkerDirectory(configuration: configuration, methods: RPCMethodTable())
        directory.add(host: "127.0.0.1", port: worker.server.port)
        #expect(await directory.waitUntilUp(1, timeout: .seconds(5)))
        let link = try #require(directory.links.first)
        #expect(worker.helloConnections.withLockedValue { $0.count } == 3, "each connection says hello: the worker admits connection by connection")

        var used = Set<ObjectIdentifier>()
        for loop in group.makeIterator() {
            let connection = try #require(link.connection(on: loop))
            #expect(connection.channel.eventLoop === loop)
            used.insert(ObjectIdentifier(connection))
        }
        #expect(used.count == 3)
        // A caller on no event loop of the group still gets a connection.
        #expect(link.connection(on: nil) != nil)

        // One connection closing takes the worker out whole; it is redialled and rejoins.
        let victim = try #require(link.connection(on: group.any()))
        try await victim.channel.close()
        #expect(await eventually { directory.upCount == 0 || worker.helloConnections.withLockedValue { $0.count } > 3 })
        #expect(await eventually { directory.upCount == 1 && link.connection(on: nil).map { !$0.isClosed } == true })
        #expect(worker.helloConnections.withLockedValue { $0.count } == 6, "the rejoin opened a fresh set")
        #expect(worker.helloConnections.withLockedValue { Array($0.prefix(3)) }.allSatisfy { $0.isClosed }, "the old set was closed whole")

        await directory.shutdown()
        await worker.server.close()
        try await group.shutdownGracefully()
    }

    @Test func aWorkerStaysInTheRingThroughTwoMissedHeartbeatsAndLeavesAtTheThird() async throws {
        let worker = try await StandIn(stall: .milliseconds(400))
        var configuration = WorkerDirectory.Configuration()
        configuration.heartbeatInterval = .milliseconds(50)
        configuration.heartbeatTimeout = .milliseconds(150)
        configuration.heartbeatMisses = 3
        let directory = WorkerDirectory(configuration: configuration, methods: RPCMethodTable())
        directory.add(host: "127.0.0.1", port: worker.server.port)
        #expect(await directory.waitUntilUp(1, timeout: .seconds(5)))

        // Two late answers in a row, then prompt ones: the worker never leaves.
        worker.stalledStats.withLockedValue { $0 = 2 }
        var left = false
        let deadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < deadline {
            if directory.upCount == 0 { left = true }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(worker.stalledStats.withLockedValue { $0 } == 0, "both stalled heartbeats were sent")
        #expect(!left, "two missed heartbeats must not take the worker out of the ring")
        #expect(worker.helloConnections.withLockedValue { $0.count } == System.coreCount, "no reconnection happened")

        // Three in a row: it leaves. It rejoins as soon as it answers again, within a few
        // milliseconds on loopback, so the sign of its leaving that lasts is the fresh set of
        // connections the rejoin opens (polling for the empty ring alone can miss it).
        worker.stalledStats.withLockedValue { $0 = 3 }
        #expect(
            await eventually(timeout: .seconds(5)) {
                directory.upCount == 0 || worker.helloConnections.withLockedValue { $0.count } > System.coreCount
            }, "the third missed heartbeat takes it out")

        await directory.shutdown()
        await worker.server.close()
    }
}

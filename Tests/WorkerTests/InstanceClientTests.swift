import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import ShoalExecutor
import ShoalProtocol
import ShoalTestSupport
import Testing

@testable import ShoalWorker

/// The instance HTTP client against real loopback HTTP instances.
@Suite struct InstanceClientTests {
    private func request(_ server: ScriptedInstanceServer, _ json: String, timeout: Duration = .seconds(10)) -> InstanceRequest {
        InstanceRequest(endpoint: Endpoint(host: "127.0.0.1", port: server.port), body: Array(json.utf8), timeout: timeout)
    }

    /// Runs `body` against a fresh scripted instance and a client of it, and stops both after.
    private func withInstance(
        client configuration: InstanceClient.Configuration = .init(),
        _ body: (ScriptedInstanceServer, InstanceLedger, InstanceClient) async throws -> Void
    ) async throws {
        let ledger = InstanceLedger()
        let server = try await ScriptedInstanceServer.start(instanceID: "s", ledger: ledger)
        let invoker = InstanceClient(configuration: configuration)
        do {
            try await body(server, ledger, invoker)
        } catch {
            await invoker.shutdown()
            await server.stop()
            throw error
        }
        await invoker.shutdown()
        await server.stop()
    }

    @Test func chunksArriveAsTheInstanceWritesThem() async throws {
        try await withInstance { server, ledger, invoker in
            var arrival = StreamArrival()
            var status = 0
            for try await part in invoker.stream(request(server, #"{"chunks":5,"intervalMs":400}"#)) {
                switch part {
                case .head(let code, _): status = code
                case .body(let bytes): arrival.received(bytes)
                case .trailers:
                    Issue.record("the scripted instance sends no trailers")
                }
            }
            #expect(status == 200)
            #expect(arrival.lines.count == 5)
            // The first chunk must be in hand before the instance writes the last one (1.6 s later).
            let lastWritten = try #require(arrival.lastWritten)
            let arrived = try #require(arrival.firstArrival)
            #expect(arrived < lastWritten, "first chunk arrived at \(arrived); the last was written at \(lastWritten)")
        }
    }

    /// A worker runs through many instances in a long suite: the endpoints of stopped ones
    /// stay listed for idle connections only until the lists are pruned, not one for each
    /// instance ever called.
    @Test func stoppedInstancesLeaveNoIdleListsBehind() async throws {
        let invoker = InstanceClient()
        let instances = InstanceClient.firstPrune + 8
        for index in 0..<instances {
            let server = try await ScriptedInstanceServer.start(instanceID: "s\(index)", ledger: InstanceLedger())
            let response = try await invoker.send(request(server, #"{"tag":"\#(index)"}"#))
            #expect(response.status == 200)
            await server.stop()
        }
        let listed = invoker.listedEndpoints
        await invoker.shutdown()
        #expect(listed < InstanceClient.firstPrune, "\(listed) endpoints listed after \(instances) instances came and went")
    }

    @Test func aWarmInstanceReusesOneKeptAliveConnection() async throws {
        try await withInstance { server, ledger, invoker in
            for index in 0..<20 {
                let response = try await invoker.send(request(server, #"{"tag":"\#(index)"}"#))
                #expect(response.status == 200)
                #expect(response.headers["x-shoal-instance"] == "s")
            }
            #expect(ledger.requestsPerConnection == [20])
        }
    }

    @Test func aCallOnAnEventLoopTakesAConnectionOfThatLoop() async throws {
        try await withInstance { server, ledger, invoker in
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            let executors = [EventLoopTaskExecutor(group.next()), EventLoopTaskExecutor(group.next())]
            #expect(executors[0].loop !== executors[1].loop)
            // Calls alternate between two loops: each loop opens one connection and keeps using
            // it; neither borrows the other's idle one (that would hand every call across threads).
            for index in 0..<6 {
                let call = request(server, #"{"tag":"\#(index)"}"#)
                let response = try await Task(executorPreference: executors[index % 2]) {
                    try await invoker.send(call)
                }.value
                #expect(response.status == 200)
            }
            #expect(ledger.connectionsAccepted == 2)
            #expect(ledger.requestsPerConnection.sorted() == [3, 3])
            try await group.shutdownGracefully()
        }
    }

    @Test func aKeptAliveConnectionTheInstanceDroppedIsReplacedAndTheCallRunsOnce() async throws {
        try await withInstance { server, ledger, invoker in
            for round in 0..<5 {
                let response = try await invoker.send(request(server, #"{"tag":"call-\#(round)"}"#))
                #expect(response.status == 200)
                // Whether the client has seen the close yet or finds out on its next write, the
                // next call goes out on a fresh connection and its handler runs exactly once.
                await server.dropConnections()
            }
            #expect(ledger.executions == (0..<5).map { "call-\($0)" })
            #expect(ledger.connectionsAccepted == 5, "one fresh connection per call")
        }
    }

    @Test func aStreamWhoseReaderStopsIsHeldToTheReadWindow() async throws {
        try await withInstance(client: .init(streamReadWindow: 256 * 1024)) { server, ledger, invoker in
            let stream = invoker.stream(request(server, #"{"chunks":400,"chunkBytes":16384}"#))
            var iterator = stream.makeAsyncIterator()
            var received = 0
            // Take one part and stop reading: 6.4 MiB are on offer, but only the window plus what
            // one readiness event reads (NIO: up to 4 reads of 64 KiB) may pile up here; TCP
            // holds the instance back.
            _ = try await iterator.next()
            try await Task.sleep(for: .milliseconds(700))
            #expect(stream.window.buffered <= 256 * 1024 + 4 * 64 * 1024, "buffered \(stream.window.buffered)")
            while let part = try await iterator.next() {
                if case .body(let bytes) = part { received += bytes.count }
            }
            #expect(received >= 399 * 16384, "every chunk arrives once the reader reads again: \(received)")
        }
    }

    @Test func aStreamThatEndsWhileItsReaderLagsLeavesTheConnectionReading() async throws {
        // The whole response arrives in one read and crosses the window: the connection stops
        // reading, then the exchange ends. The hold was for that exchange's reader only; the
        // connection goes back to the idle set and must read the next exchange's answer.
        let channel = EmbeddedChannel()
        // Parts are fed to the handler as the decoder would pass them on; it only needs the
        // outlet in place to write its request.
        let outlet = InstanceRequestOutlet()
        let handler = InstanceExchangeHandler(outlet: outlet, decoder: HTTPResponseDecoder())
        try channel.pipeline.syncOperations.addHandlers([outlet, handler])
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).get()
        let (_, parts) = AsyncThrowingStream.makeStream(of: InstanceResponsePart.self)
        let window = ReadWindow(limit: 4)
        let request = InstanceRequest(endpoint: Endpoint(host: "127.0.0.1", port: 9), body: [1], timeout: .seconds(5))
        var heldBack = false
        try await withUnsafeThrowingContinuation { (done: UnsafeContinuation<Void, any Error>) in
            handler.begin(request, sink: .stream(parts, window, done: done), reused: false)
            var body = channel.allocator.buffer(capacity: 8)
            body.writeBytes([UInt8](repeating: 7, count: 8))
            _ = try? channel.writeInbound(HTTPClientResponsePart.head(.init(version: .http1_1, status: .ok)))
            _ = try? channel.writeInbound(HTTPClientResponsePart.body(body))
            heldBack = handler.isHoldingBack
            _ = try? channel.writeInbound(HTTPClientResponsePart.end(nil))
        }
        #expect(heldBack, "8 bytes against a 4-byte window hold the connection back")
        #expect(!handler.isHoldingBack, "the ended exchange's hold is lifted")
        _ = try? await channel.close()
    }

    @Test func fiveHundredConcurrentInFlightInvocations() async throws {
        let ledger = InstanceLedger()
        var servers: [ScriptedInstanceServer] = []
        for index in 0..<50 { servers.append(try await ScriptedInstanceServer.start(instanceID: "s\(index)", ledger: ledger)) }
        let invoker = InstanceClient()
        let endpoints = servers.map { Endpoint(host: "127.0.0.1", port: $0.port) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for call in 0..<500 {
                group.addTask {
                    let body = #"{"tag":"call-\#(call)","sleepMs":1000}"#
                    let response = try await invoker.send(
                        InstanceRequest(endpoint: endpoints[call % 50], body: Array(body.utf8), timeout: .seconds(30)))
                    #expect(response.status == 200)
                    #expect(String(decoding: response.body, as: UTF8.self) == body)
                }
            }
            try await group.waitForAll()
        }
        #expect(ledger.executions.count == 500)
        #expect(ledger.peakTotal >= 400, "the invocations really were in flight together (peak \(ledger.peakTotal))")
        await invoker.shutdown()
        for server in servers { await server.stop() }
    }

    @Test func failuresAreClassifiedByWhetherTheRequestCouldHaveArrived() async throws {
        let invoker = InstanceClient()
        let dead = DeadPort()
        defer { dead.close() }
        let refused = InstanceRequest(endpoint: Endpoint(host: "127.0.0.1", port: dead.port), body: [1], timeout: .seconds(5))
        let notDelivered = await #expect(throws: WorkerError.self) { try await invoker.send(refused) }
        #expect(notDelivered?.code == .notDelivered)

        let ledger = InstanceLedger()
        let server = try await ScriptedInstanceServer.start(instanceID: "s", ledger: ledger)
        let crashed = await #expect(throws: WorkerError.self) { try await invoker.send(request(server, #"{"crash":true}"#)) }
        #expect(crashed?.code == .transferFailed)
        let slow = await #expect(throws: WorkerError.self) {
            try await invoker.send(request(server, #"{"sleepMs":2000}"#, timeout: .milliseconds(300)))
        }
        #expect(slow?.code == .timedOut)
        await invoker.shutdown()
        await server.stop()
    }

    @Test func aShorterTimeoutOnAKeptAliveConnectionIsKept() async throws {
        try await withInstance { server, ledger, invoker in
            // The connection's timer is set for the first exchange's deadline (10 s); the second
            // exchange on the same connection is due sooner and must fail then, not at 10 s.
            let first = try await invoker.send(request(server, #"{"tag":"first"}"#, timeout: .seconds(10)))
            #expect(first.status == 200)
            let clock = ContinuousClock()
            let started = clock.now
            let slow = await #expect(throws: WorkerError.self) {
                try await invoker.send(request(server, #"{"sleepMs":5000}"#, timeout: .milliseconds(300)))
            }
            #expect(slow?.code == .timedOut)
            #expect(clock.now - started < .seconds(3), "timed out after \(clock.now - started)")
            #expect(ledger.connectionsAccepted == 1, "both exchanges went over the kept-alive connection")
            let after = try await invoker.send(request(server, #"{"tag":"after"}"#))
            #expect(after.status == 200)
        }
    }

    @Test func largeBodiesGoBothWays() async throws {
        try await withInstance { server, ledger, invoker in
            let padding = String(repeating: "p", count: 6 * 1024 * 1024)
            let body = #"{"tag":"big","pad":"\#(padding)"}"#
            let response = try await invoker.send(request(server, body))
            #expect(response.body.count == body.utf8.count)
            #expect(response.body == Array(body.utf8))
        }
    }
}

import Foundation
import NIOConcurrencyHelpers
import NIOCore
import ShoalTestSupport
import Testing

@testable import ShoalProtocol

/// A real server and real clients over loopback TCP.
@Suite struct RPCConnectionTests {
    private func server(log: ServerLog = ServerLog(), configure: (inout RPCConnection.Configuration) -> Void = { _ in }) async throws -> RPCServer {
        var configuration = RPCConnection.Configuration()
        configure(&configuration)
        return try await RPCServer.bind(host: "127.0.0.1", port: 0, methods: testMethods(log: log), configuration: configuration)
    }

    @Test func twoThousandConcurrentCallsOverOneConnectionEachGetTheirOwnAnswer() async throws {
        let server = try await server()
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port)
        let completionOrder = NIOLockedValueBox<[Int]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<2_000 {
                group.addTask {
                    // Random delays make the server answer in an order unrelated to the calls'.
                    let params = Echo.Params(text: "call \(index)", delayMicroseconds: Int.random(in: 0...20_000))
                    let answer = try await client.call(Echo.self, params)
                    #expect(answer == params)
                    completionOrder.withLockedValue { $0.append(index) }
                }
            }
            try await group.waitForAll()
        }
        let order = completionOrder.withLockedValue { $0 }
        #expect(order.count == 2_000)
        #expect(order != order.sorted(), "answers should have come back out of order")
        await client.close()
        await server.close()
    }

    @Test func serverStreamsNotificationsBeforeTheAnswerInOrder() async throws {
        let server = try await server()
        let received = NIOLockedValueBox<[Int]>([])
        var clientMethods = RPCMethodTable()
        clientMethods.on(Chunk.self) { params, _ in received.withLockedValue { $0.append(params.seq) } }
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port, methods: clientMethods)
        let answer = try await client.call(Stream.self, .init(count: 500))
        #expect(answer.sent == 500)
        #expect(received.withLockedValue { $0 } == Array(0..<500))
        await client.close()
        await server.close()
    }

    @Test func timeoutFailsTheCallAndTellsThePeerToCancel() async throws {
        let log = ServerLog()
        let server = try await server(log: log)
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port)
        let started = ContinuousClock.now
        let error = await #expect(throws: RPCError.self) {
            try await client.call(Hang.self, .init(tag: "t1"), timeout: .milliseconds(200))
        }
        #expect(error?.code == .timedOut)
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(await eventually { log.entries.contains("cancelled t1") })
        // The connection is still good for other calls.
        #expect(try await client.call(Echo.self, .init(text: "after")).text == "after")
        await client.close()
        await server.close()
    }

    @Test func eachCallTimesOutAtItsOwnDeadline() async throws {
        let server = try await server()
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port)
        let clock = ContinuousClock()
        let started = clock.now
        // A long timeout first, then shorter ones: the connection's one timer must not keep
        // the later, shorter calls waiting for the first deadline; answered calls on the way
        // leave nothing behind that could fail them. Each task reports its error code and
        // when it ended.
        func hang(_ tag: String, timeout: Duration) -> Task<(RPCError.Code?, Duration), Never> {
            Task {
                do {
                    _ = try await client.call(Hang.self, .init(tag: tag), timeout: timeout)
                    return (nil, clock.now - started)
                } catch {
                    return ((error as? RPCError)?.code, clock.now - started)
                }
            }
        }
        let long = hang("long", timeout: .seconds(4))
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await client.call(Echo.self, .init(text: "quick"), timeout: .milliseconds(250)).text == "quick")
        let medium = hang("medium", timeout: .milliseconds(900))
        let short = hang("short", timeout: .milliseconds(300))
        let shortEnded = await short.value
        let mediumEnded = await medium.value
        let longEnded = await long.value
        #expect([shortEnded.0, mediumEnded.0, longEnded.0] == [.timedOut, .timedOut, .timedOut])
        #expect(shortEnded.1 < .milliseconds(1_500), "short call ended after \(shortEnded.1)")
        #expect(mediumEnded.1 >= .milliseconds(900) && mediumEnded.1 < .milliseconds(2_500), "medium call ended after \(mediumEnded.1)")
        #expect(longEnded.1 >= .seconds(4), "long call ended after \(longEnded.1)")
        await client.close()
        await server.close()
    }

    @Test func cancellingTheCallingTaskCancelsTheHandlerOnThePeer() async throws {
        let log = ServerLog()
        let server = try await server(log: log)
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port)
        let call = Task { try await client.call(Hang.self, .init(tag: "c1")) }
        #expect(await eventually { log.entries.contains("started c1") })
        call.cancel()
        let result = await call.result
        #expect(throws: RPCError(.cancelled, "call cancelled by the caller")) { try result.get() }
        #expect(await eventually { log.entries.contains("cancelled c1") })
        await client.close()
        await server.close()
    }

    /// The cancellation handler runs before the call is pending; the call must still end at
    /// once (it would hang on the peer's never-answering handler), and nothing is sent.
    @Test func aCallFromAnAlreadyCancelledTaskEndsAtOnceAndSendsNothing() async throws {
        let log = ServerLog()
        let server = try await server(log: log)
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port)
        let call = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.call(Hang.self, .init(tag: "early"), timeout: .seconds(10))
        }
        let result = await call.result
        #expect(throws: RPCError(.cancelled, "call cancelled by the caller")) { try result.get() }
        // The server takes requests in order: once a later call is answered, an earlier one
        // would have started.
        _ = try await client.call(Echo.self, .init(text: "after", delayMicroseconds: 0))
        #expect(!log.entries.contains("started early"))
        await client.close()
        await server.close()
    }

    /// What a graceful shutdown waits for: every request not yet answered, a batch as one;
    /// and what a closed connection cancels, batches included.
    @Test func theServerCountsTheRequestsItHasNotAnsweredYet() async throws {
        let log = ServerLog()
        let server = try await server(log: log)
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port)
        let raw = try await RawFrameClient.connect(port: server.port)
        #expect(server.requestsBeingServed == 0)
        let calls = (0..<3).map { index in Task { try await client.call(Hang.self, .init(tag: "h\(index)"), timeout: .milliseconds(500)) } }
        try await raw.sendFrame(
            #"[{"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"text":"b1","delayMicroseconds":1500000}},{"jsonrpc":"2.0","id":2,"method":"test.echo","params":{"text":"b2"}}]"#
        )
        #expect(await eventually { log.entries.filter { $0.hasPrefix("started") }.count == 3 })
        #expect(await eventually { server.requestsBeingServed == 4 })
        for call in calls { _ = await call.result }  // timed out: `$/cancel` ends each handler
        #expect(await eventually { server.requestsBeingServed == 1 }, "the batch is still being served")
        #expect(try await raw.readBatch()?.count == 2)
        #expect(await eventually { server.requestsBeingServed == 0 })
        // A batch whose client goes away is cancelled, as a single request is.
        try await raw.sendFrame(#"[{"jsonrpc":"2.0","id":3,"method":"test.hang","params":{"tag":"b3"}}]"#)
        #expect(await eventually { log.entries.contains("started b3") })
        await raw.close()
        #expect(await eventually { log.entries.contains("cancelled b3") })
        await client.close()
        await server.close()
    }

    @Test func closingFailsEveryPendingCallWithAClearError() async throws {
        let log = ServerLog()
        let server = try await server(log: log)
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port)
        let calls = (0..<10).map { index in Task { try await client.call(Hang.self, .init(tag: "p\(index)")) } }
        #expect(await eventually { log.entries.filter { $0.hasPrefix("started") }.count == 10 })
        await server.close()  // the peer goes away with every call in flight
        for call in calls {
            let error = await #expect(throws: RPCError.self) { try await call.value }
            #expect(error?.code == .connectionClosed)
        }
        #expect(client.isClosed)
        let late = await #expect(throws: RPCError.self) { try await client.call(Echo.self, .init(text: "late")) }
        #expect(late?.code == .notSent)
        // The server cancelled the handlers whose connection went away.
        #expect(await eventually { log.entries.filter { $0.hasPrefix("cancelled") }.count == 10 })
    }

    @Test func peerErrorsArriveAsRPCErrors() async throws {
        struct NotFound: RPCErrorConvertible {
            var rpcError: RPCError { RPCError(.resourceNotFound, "Function not found: nope") }
        }
        enum Lookup: RPCMethod {
            struct Params: Codable, Sendable { var name: String }
            typealias Result = Empty
            static let name = "test.lookup"
        }
        var methods = RPCMethodTable()
        methods.register(Lookup.self) { _, _ in throw NotFound() }
        let server = try await RPCServer.bind(port: 0, methods: methods)
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port)
        let error = await #expect(throws: RPCError.self) { try await client.call(Lookup.self, .init(name: "nope")) }
        #expect(error?.code == .resourceNotFound)
        #expect(error?.data?.type == "ResourceNotFoundException")
        let missing = await #expect(throws: RPCError.self) { try await client.call(Echo.self, .init(text: "x")) }
        #expect(missing?.code == .methodNotFound)
        await client.close()
        await server.close()
    }

    @Test func batchOverASocketAnswersEveryRequestMemberInOrder() async throws {
        let log = ServerLog()
        let server = try await server(log: log)
        let raw = try await RawFrameClient.connect(port: server.port)
        try await raw.sendFrame(
            """
            [{"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"text":"slow","delayMicroseconds":50000}},
             {"jsonrpc":"2.0","id":"two","method":"no.such"},
             {"jsonrpc":"2.0","method":"test.chunk","params":{"seq":7}},
             {"foo":"bar"},
             {"jsonrpc":"2.0","id":3,"method":"test.echo","params":{"text":"fast"}}]
            """)
        let batch = try #require(try await raw.readBatch())
        #expect(batch.count == 4)
        #expect((batch[0]["result"] as? [String: Any])?["text"] as? String == "slow")
        #expect(batch[1].errorCode == -32601 && batch[1]["id"] as? String == "two")
        #expect(batch[2].errorCode == -32600 && batch[2]["id"] is NSNull)
        #expect((batch[3]["result"] as? [String: Any])?["text"] as? String == "fast")
        #expect(log.entries.contains("chunk 7"))
        // A batch of notifications only gets no answer; the next request does.
        try await raw.sendFrame(#"[{"jsonrpc":"2.0","method":"test.chunk","params":{"seq":8}}]"#)
        try await raw.sendFrame(#"{"jsonrpc":"2.0","id":4,"method":"test.echo","params":{"text":"next"}}"#)
        let next = try #require(try await raw.readFrame())
        #expect(next["id"] as? Int == 4)
        await raw.close()
        await server.close()
    }

    @Test func malformedInputOnASocketKeepsTheConnectionUsable() async throws {
        let server = try await server()
        let raw = try await RawFrameClient.connect(port: server.port)
        try await raw.sendFrame("{oops")
        try await raw.sendFrame(#"{"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"text":7}}"#)
        try await raw.sendFrame(#"{"jsonrpc":"2.0","id":2,"method":"test.echo","params":{"text":"ok"}}"#)
        let answers = try #require(try await raw.readFrames(3)) as? [[String: Any]]
        #expect(answers?[0].errorCode == -32700)
        #expect(answers?[1].errorCode == -32602 && answers?[1]["id"] as? Int == 1)
        #expect((answers?[2]["result"] as? [String: Any])?["text"] as? String == "ok")
        await raw.close()
        await server.close()
    }

    @Test func oversizedFrameOnASocketIsAnsweredThenClosed() async throws {
        let server = try await server { $0.maximumFrameLength = 4096 }
        let raw = try await RawFrameClient.connect(port: server.port)
        var header = ByteBuffer()
        header.writeInteger(UInt32(4097))
        try await raw.sendBytes(Array(header.readableBytesView) + [UInt8](repeating: 0x20, count: 100))
        let answer = try #require(try await raw.readFrame())
        #expect(answer.errorCode == -32600)
        #expect(answer.errorReason == "frame too large")
        await raw.waitUntilClosedByPeer()
        await server.close()
    }

    @Test func slowLorisIsClosedAfterTheIdleTimeoutButAnIdleClientIsNot() async throws {
        let server = try await server { $0.incompleteFrameTimeout = .milliseconds(300) }
        let loris = try await RawFrameClient.connect(port: server.port)
        let idle = try await RawFrameClient.connect(port: server.port)
        try await loris.sendBytes([0, 0, 0, 100, 0x7b])
        let started = ContinuousClock.now
        await loris.waitUntilClosedByPeer()
        #expect(ContinuousClock.now - started < .seconds(3))
        // The idle client (no partial frame) was left alone and still gets answers.
        try await idle.sendFrame(#"{"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"text":"still here"}}"#)
        #expect(try await idle.readFrame()?["id"] as? Int == 1)
        await idle.close()
        await server.close()
    }

    @Test func callerRefusesToSendAFrameOverTheMaximum() async throws {
        let server = try await server()
        var configuration = RPCConnection.Configuration()
        configuration.maximumFrameLength = 1024
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port, configuration: configuration)
        let error = await #expect(throws: RPCError.self) {
            try await client.call(Echo.self, .init(text: String(repeating: "x", count: 2048)))
        }
        #expect(error?.code == .notSent)
        #expect(error?.data?.reason == "frame too large")
        #expect(try await client.call(Echo.self, .init(text: "small")).text == "small")
        await client.close()
        await server.close()
    }

    @Test func anAnswerOverTheMaximumReachesItsCallerAsAnError() async throws {
        let server = try await server { $0.maximumFrameLength = 4096 }
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port)
        let error = await #expect(throws: RPCError.self) {
            try await client.call(Repeat.self, .init(text: "ab", times: 10_000), timeout: .seconds(10))
        }
        #expect(error?.code == .internalError)
        #expect(error?.data?.reason == "frame too large")
        #expect(try await client.call(Repeat.self, .init(text: "ab", times: 3)) == "ababab")
        await client.close()
        await server.close()
    }

    @Test func aPeerThatDoesNotReadItsAnswersIsNotReadEither() async throws {
        let server = try await server()
        let raw = try await RawFrameClient.connect(port: server.port)
        // 2,000 requests whose answers total 64 MiB, far beyond the 4 MiB outbound bound plus
        // what the kernel's loopback buffers hold.
        let text = String(repeating: "x", count: 32 * 1024)
        var bytes: [UInt8] = []
        for id in 0..<2_000 {
            let request = #"{"jsonrpc":"2.0","id":\#(id),"method":"test.echo","params":{"text":"\#(text)"}}"#
            bytes += Array(Frame.encode(Array(request.utf8), allocator: .init()).readableBytesView)
        }
        try await raw.pauseReading()
        let sending = Task { try await raw.sendBytes(bytes) }
        try await Task.sleep(for: .seconds(1))
        // With backpressure the server stopped reading, so the kernel buffers filled and our
        // write cannot have completed; without it the server would have swallowed all of it.
        #expect(!raw.channel.isWritable, "the server kept reading although nobody read its answers")
        try await raw.resumeReading()
        let answers = try #require(await raw.readRawFrames(2_000))
        #expect(answers.count == 2_000)
        try await sending.value
        await raw.close()
        await server.close()
    }
}

import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ShoalProtocol
import ShoalTestSupport
import Testing

/// The streamed relay end to end: chunks arrive as they are written, and a client that stops
/// reading holds back only its own stream, with gateway and worker memory bounded.
@Suite(.serialized) struct GatewayStreamTests {
    @Test func chunksOfARealStreamingFunctionArriveBeforeTheFunctionFinishes() async throws {
        try await ShoalUp.with(workers: 2) { up in
            let arrivals = NIOLockedValueBox<[(Int64, String)]>([])
            var methods = RPCMethodTable()
            methods.on(WorkerAPI.InvokeChunk.self) { params, _ in
                let text = String(decoding: Data(base64Encoded: params.payload) ?? Data(), as: UTF8.self)
                arrivals.withLockedValue { $0.append((Int64(Date().timeIntervalSince1970 * 1000), text)) }
            }
            let client = try await up.connect(methods: methods)
            let source = """
                exports.handler = awslambda.streamifyResponse(async (event, stream) => {
                  for (let i = 0; i < 5; i++) {
                    stream.write(`part ${i} at ${Date.now()};`);
                    await new Promise((resolve) => setTimeout(resolve, 200));
                  }
                  stream.end();
                });
                """
            try await client.createFunction("streamer", runtime: "nodejs20.x", handler: "index.handler", files: ["index.js": source])
            let result = try await client.call(
                ClientAPI.InvokeStream.self, .init(functionName: "streamer", payload: Data("{}".utf8).base64EncodedString()))
            #expect(result.statusCode == 200 && result.functionError == nil)
            let received = arrivals.withLockedValue { $0 }
            let text = received.map(\.1).joined()
            #expect((0..<5).allSatisfy { text.contains("part \($0) at") }, "\(text)")
            // The first chunk reached the client before the function wrote the last one.
            let lastWritten = Int64(text.components(separatedBy: "part 4 at ").last?.split(separator: ";").first ?? "") ?? 0
            #expect(received.first.map { $0.0 < lastWritten } == true, "first chunk at \(received.first?.0 ?? 0), last written at \(lastWritten)")
            await client.close()
        }
    }

    @Test func aSlowReaderHoldsBackOnlyItsOwnStreamWithinTheMemoryBound() async throws {
        try await ShoalUp.with(workers: 1, backend: "scripted") { up in
            let setup = try await up.connect()
            try await setup.createFunction(
                "firehose", runtime: "provided.al2023", handler: "bootstrap", files: ["bootstrap": "#!/bin/sh\n"], timeout: 120)
            _ = try await setup.invoke("firehose", #"{"tag": "warm"}"#)
            let workerPID = pid_t(try #require(try await setup.call(ClientAPI.WorkersList.self, Empty()).workers.first?.pid))
            let before = (gateway: ProcessScan.residentBytes(of: up.pid), worker: ProcessScan.residentBytes(of: workerPID))

            let received = NIOLockedValueBox((bytes: 0, tail: ""))
            var methods = RPCMethodTable()
            methods.on(WorkerAPI.InvokeChunk.self) { params, _ in
                let data = Data(base64Encoded: params.payload) ?? Data()
                received.withLockedValue { state in
                    state.bytes += data.count
                    state.tail = String(String(decoding: data.suffix(64), as: UTF8.self).suffix(40))
                }
            }
            let reader = try await up.connect(methods: methods)
            try await reader.channel.setOption(ChannelOptions.autoRead, value: false).get()
            let chunks = 4096
            let chunkBytes = 16 * 1024  // 64 MiB in all
            let stream = Task {
                try await reader.call(
                    ClientAPI.InvokeStream.self,
                    .init(
                        functionName: "firehose", payload: Data(#"{"chunks": \#(chunks), "chunkBytes": \#(chunkBytes)}"#.utf8).base64EncodedString()
                    ))
            }
            // The reader reads nothing for 3 s; the function could have written all 64 MiB by then.
            try await Task.sleep(for: .seconds(3))
            let during = (gateway: ProcessScan.residentBytes(of: up.pid), worker: ProcessScan.residentBytes(of: workerPID))
            // Another invocation of the same function, on the same worker connection, flows.
            let started = ContinuousClock.now
            let (body, other) = try await setup.invoke("firehose", #"{"tag": "meanwhile"}"#)
            #expect(other.functionError == nil && body.contains("meanwhile"))
            #expect(ContinuousClock.now - started < .seconds(1), "the other call took \(ContinuousClock.now - started)")

            try await reader.channel.setOption(ChannelOptions.autoRead, value: true).get()
            let result = try await stream.value
            #expect(result.statusCode == 200)
            let (bytes, tail) = received.withLockedValue { $0 }
            #expect(bytes == chunks * chunkBytes, "received \(bytes) of \(chunks * chunkBytes) bytes")
            #expect(tail.contains("chunk \(chunks - 1) at"), "the last chunk came last: \(tail)")
            let growth = (gateway: during.gateway - before.gateway, worker: during.worker - before.worker)
            print("slow reader: RSS growth while stalled: gateway \(growth.gateway / 1024) KiB, worker \(growth.worker / 1024) KiB")
            #expect(
                growth.gateway < 8 * 1024 * 1024 && growth.worker < 8 * 1024 * 1024,
                "buffers stayed bounded: gateway grew \(growth.gateway) bytes, worker \(growth.worker) bytes")
            await reader.close()
            await setup.close()
        }
    }

    /// Counts what a raw HTTP client receives.
    final class ByteCounter: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let count = NIOLockedValueBox(0)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data).readableBytes
            count.withLockedValue { $0 += bytes }
        }
    }

    /// InvokeWithResponseStream's flow control reaches the HTTP client: one that stops reading
    /// holds the gateway's memory for its stream under 4 MiB while the function could write
    /// 64 MiB, other calls flow meanwhile, and the whole stream arrives once it reads again.
    @Test func aRESTStreamWhoseClientStopsReadingHoldsTheGatewayUnderFourMiB() async throws {
        try await ShoalUp.with(workers: 1, backend: "scripted") { up in
            let setup = try await up.connect()
            try await setup.createFunction(
                "firehose", runtime: "provided.al2023", handler: "bootstrap", files: ["bootstrap": "#!/bin/sh\n"], timeout: 120)
            _ = try await setup.invoke("firehose", #"{"tag": "warm"}"#)
            /// A raw HTTP client that asks for `chunks` chunks of 16 KiB and reads only if `reading`.
            func streamRequest(chunks: Int, reading: Bool, _ counter: ByteCounter) async throws -> any Channel {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .channelOption(ChannelOptions.autoRead, value: reading)
                    .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(counter) }
                    }
                    .connect(host: "127.0.0.1", port: up.httpPort).get()
                let body = #"{"chunks": \#(chunks), "chunkBytes": 16384}"#
                let request =
                    "POST /2021-11-15/functions/firehose/response-streaming-invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
                try await channel.writeAndFlush(ByteBuffer(string: request))
                return channel
            }
            // One whole stream first, so what the HTTP port allocates once is not counted.
            let warm = ByteCounter()
            let warmChannel = try await streamRequest(chunks: 64, reading: true, warm)
            while warm.count.withLockedValue({ $0 }) < 64 * 16384 { try await Task.sleep(for: .milliseconds(50)) }
            try await warmChannel.close()
            let before = ProcessScan.residentBytes(of: up.pid)
            let counter = ByteCounter()
            let channel = try await streamRequest(chunks: 4096, reading: false, counter)
            try await Task.sleep(for: .seconds(3))
            let growth = ProcessScan.residentBytes(of: up.pid) - before
            let started = ContinuousClock.now
            let (text, other) = try await setup.invoke("firehose", #"{"tag": "meanwhile"}"#)
            #expect(other.functionError == nil && text.contains("meanwhile"))
            #expect(ContinuousClock.now - started < .seconds(1), "the other call took \(ContinuousClock.now - started)")
            print("REST slow reader: gateway RSS growth while stalled \(growth / 1024) KiB")
            #expect(growth < 4 * 1024 * 1024, "the gateway grew \(growth) bytes for a stalled stream")
            try await channel.setOption(ChannelOptions.autoRead, value: true).get()
            let deadline = ContinuousClock.now + .seconds(60)
            while counter.count.withLockedValue({ $0 }) < 4096 * 16384, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(counter.count.withLockedValue { $0 } >= 4096 * 16384, "the whole stream arrives once the client reads")
            try await channel.close()
            await setup.close()
        }
    }
}

/// The gateway's shutdown lets a REST invoke in flight finish, whichever way the HTTP port
/// served it.
@Suite(.serialized) struct RESTShutdownTests {
    @Test func aRESTInvokeUnderWayWhenTheGatewayStopsIsAnswered() async throws {
        let up = try await ShoalUp.start(workers: 1, backend: "scripted")
        defer { up.removeData() }
        let setup = try await up.connect()
        try await setup.createFunction("slow", runtime: "provided.al2023", handler: "bootstrap", files: ["bootstrap": "#!/bin/sh\n"])
        _ = try await setup.invoke("slow", #"{"tag": "warm"}"#)
        await setup.close()
        let received = NIOLockedValueBox(ByteBuffer())
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(received: received)) }
            }
            .connect(host: "127.0.0.1", port: up.httpPort).get()
        let body = #"{"tag": "in flight", "sleepMs": 1500}"#
        try await channel.writeAndFlush(
            ByteBuffer(
                string: "POST /2015-03-31/functions/slow/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"))
        try await Task.sleep(for: .milliseconds(300))
        let stopped = Task { await up.stop() }
        let answered = await eventually(timeout: .seconds(10)) { received.withLockedValue { String(buffer: $0) }.contains("in flight") }
        #expect(answered, "answer: \(received.withLockedValue { String(buffer: $0) })")
        #expect(received.withLockedValue { String(buffer: $0) }.hasPrefix("HTTP/1.1 200"))
        #expect(await stopped.value == .status(0))
        try? await channel.close()
    }

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<ByteBuffer>
        init(received: NIOLockedValueBox<ByteBuffer>) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            received.withLockedValue { _ = $0.writeBuffer(&bytes) }
        }
    }
}

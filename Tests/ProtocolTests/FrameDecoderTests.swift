import NIOCore
import NIOEmbedded
import Testing

@testable import ShoalProtocol

/// The framing layer alone, on EmbeddedChannel: no sockets, exact control of reads and time.
@Suite struct FrameDecoderTests {
    private func channel(maximum: Int = 1024, timeout: TimeAmount = .seconds(5)) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: FrameDecoder(maximumFrameLength: maximum, incompleteFrameTimeout: timeout))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        return channel
    }

    private func frame(_ payload: [UInt8]) -> ByteBuffer {
        Frame.encode(payload, allocator: .init())
    }

    private func payload(_ buffer: ByteBuffer?) -> [UInt8]? {
        buffer.map { Array($0.readableBytesView) }
    }

    @Test func partialFramesAreReassembled() throws {
        let channel = try channel()
        let bytes = Array(frame(Array("hello, frames".utf8)).readableBytesView)
        // One byte at a time, including a header split across reads.
        for byte in bytes.dropLast() {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        }
        try channel.writeInbound(ByteBuffer(bytes: [bytes.last!]))
        #expect(payload(try channel.readInbound(as: ByteBuffer.self)) == Array("hello, frames".utf8))
        #expect(try channel.finish().isClean)
    }

    @Test func severalFramesInOneRead() throws {
        let channel = try channel()
        var combined = frame(Array("one".utf8))
        var second = frame(Array("two".utf8))
        var third = frame(Array("three".utf8))
        combined.writeBuffer(&second)
        combined.writeBuffer(&third)
        combined.writeBytes([0, 0])  // the start of a fourth header
        try channel.writeInbound(combined)
        #expect(payload(try channel.readInbound()) == Array("one".utf8))
        #expect(payload(try channel.readInbound()) == Array("two".utf8))
        #expect(payload(try channel.readInbound()) == Array("three".utf8))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        try channel.writeInbound(ByteBuffer(bytes: [0, 1, 0x41]))
        #expect(payload(try channel.readInbound()) == [0x41])
    }

    @Test func zeroLengthFrameIsAnEmptyPayload() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 0]))
        #expect(payload(try channel.readInbound()) == [])
    }

    @Test func frameAtExactlyTheMaximumIsAccepted() throws {
        let channel = try channel(maximum: 1024)
        let body = [UInt8](repeating: 0x61, count: 1024)
        try channel.writeInbound(frame(body))
        #expect(payload(try channel.readInbound()) == body)
        #expect(channel.isActive)
    }

    @Test func frameOneByteOverTheMaximumIsRefusedWithoutBuffering() throws {
        let channel = try channel(maximum: 1024)
        // Only the header arrives: the refusal must not wait for (or buffer) the body.
        var header = ByteBuffer()
        header.writeInteger(UInt32(1025))
        #expect(throws: RPCError.frameTooLarge(length: 1025, maximum: 1024)) {
            try channel.writeInbound(header)
        }
        // Whatever follows is dropped, never decoded as frames.
        try channel.writeInbound(frame(Array("after".utf8)))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
    }

    @Test func incompleteFrameClosesAfterTheTimeout() throws {
        let channel = try channel(timeout: .milliseconds(500))
        try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 100, 1, 2, 3]))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(300))
        // A trickle of bytes does not extend the deadline.
        try channel.writeInbound(ByteBuffer(bytes: [4]))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(250))
        #expect(!channel.isActive)
    }

    @Test func idleConnectionWithNoPartialFrameStaysOpen() throws {
        let channel = try channel(timeout: .milliseconds(500))
        try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 1]))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(400))
        try channel.writeInbound(ByteBuffer(bytes: [0x7b]))
        #expect(payload(try channel.readInbound()) == [0x7b])
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(channel.isActive)
    }

    @Test func timerForACompletedFrameRearmsForTheNextOne() throws {
        let channel = try channel(timeout: .milliseconds(500))
        try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 1]))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(400))
        // Completes the first frame and starts a second in the same read.
        try channel.writeInbound(ByteBuffer(bytes: [0x7b, 0, 0, 0, 2]))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(channel.isActive, "the second frame has had 200 ms of its 500")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(400))
        #expect(!channel.isActive)
    }
}

import Foundation
import NIOCore
import NIOPosix

@testable import ShoalProtocol

/// A client that speaks raw frames (or raw bytes), to send what a well-behaved connection never
/// would and to read exactly what the server answers.
actor RawFrameClient {
    let channel: any Channel
    private var frames: AsyncStream<ByteBuffer>.AsyncIterator

    private init(channel: any Channel, frames: AsyncStream<ByteBuffer>) {
        self.channel = channel
        self.frames = frames.makeAsyncIterator()
    }

    static func connect(port: Int, maximumFrameLength: Int = 64 * 1024 * 1024) async throws -> RawFrameClient {
        let (frames, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        FrameDecoder(maximumFrameLength: maximumFrameLength, incompleteFrameTimeout: .seconds(60)),
                        FrameCollector(continuation: continuation)
                    )
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawFrameClient(channel: channel, frames: frames)
    }

    func sendFrame(_ json: String) async throws {
        try await sendBytes(Array(Frame.encode(Array(json.utf8), allocator: .init()).readableBytesView))
    }

    /// Stops reading from the socket, so the server's answers back up in the kernel.
    func pauseReading() async throws {
        try await channel.setOption(.autoRead, value: false).get()
    }

    func resumeReading() async throws {
        try await channel.setOption(.autoRead, value: true).get()
        channel.read()
    }

    func sendBytes(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Reads answers until `count` have arrived; nil if the server closed first.
    func readRawFrames(_ count: Int) async -> [Data]? {
        var frames: [Data] = []
        while frames.count < count {
            guard let frame = await nextFrame() else { return nil }
            frames.append(Data(frame.readableBytesView))
        }
        return frames
    }

    /// Reads answers until `count` have arrived, each parsed as JSON; nil if the server closed first.
    nonisolated func readFrames(_ count: Int) async throws -> [Any]? {
        try await readRawFrames(count)?.map { try JSONSerialization.jsonObject(with: $0) }
    }

    nonisolated func readFrame() async throws -> [String: Any]? {
        try await readFrames(1)?.first as? [String: Any]
    }

    nonisolated func readBatch() async throws -> [[String: Any]]? {
        try await readFrames(1)?.first as? [[String: Any]]
    }

    /// Waits until the server has closed the connection, discarding what it still sends.
    func waitUntilClosedByPeer() async {
        while await nextFrame() != nil {}
    }

    /// One reader at a time (tests never read concurrently), so the iterator is taken out for
    /// the await and put back after.
    private func nextFrame() async -> ByteBuffer? {
        var iterator = frames
        let frame = await iterator.next(isolation: self)
        frames = iterator
        return frame
    }

    func close() async {
        try? await channel.close()
    }
}

/// Hands every decoded frame to an AsyncStream; ends the stream when the connection closes.
private final class FrameCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncStream<ByteBuffer>.Continuation

    init(continuation: AsyncStream<ByteBuffer>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension Dictionary where Key == String, Value == Any {
    var errorCode: Int? { (self["error"] as? [String: Any])?["code"] as? Int }
    var errorType: String? { ((self["error"] as? [String: Any])?["data"] as? [String: Any])?["type"] as? String }
    var errorReason: String? { ((self["error"] as? [String: Any])?["data"] as? [String: Any])?["reason"] as? String }
}

import Foundation
import NIOCore

/// Turns frames into classified JSON-RPC messages and hands them to the connection.
///
/// Protocol-level errors that need no method (parse errors, oversized frames) are answered
/// here. An oversized frame is answered and the connection closed, since the stream can no
/// longer be trusted to be in step; every other malformed input leaves it usable.
final class RPCChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let connection: RPCConnection
    private let decoder = JSONDecoder()

    init(connection: RPCConnection) {
        self.connection = connection
        decoder.userInfo[RPCDecodingContext.key] = connection.decodingContext
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let inbound: InboundFrame
        do {
            guard frame.withUnsafeReadableBytes(UTF8Validation.isValid) else { throw RPCError.parseError("invalid UTF-8") }
            if let envelope = FastEnvelope.scan(frame),
                let message = InboundMessage.fast(
                    envelope, methods: connection.methods,
                    pendingResult: { id in
                        connection.state.withLockedValue { $0.pending[id]?.fastResultType }
                    })
            {
                connection.received(.single(message))
                return
            }
            inbound = try decoder.decode(InboundFrame.self, from: Data(frame.readableBytesView))
        } catch {
            connection.send(RPCConnection.encodeError(id: nil, .parseError("frame is not valid UTF-8 JSON")))
            return
        }
        connection.received(inbound)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? RPCError, error.data?.reason == "frame too large" {
            let answer = RPCConnection.encodeError(id: nil, error)
            context.writeAndFlush(wrapOutbound(answer), promise: nil)
        }
        context.close(promise: nil)
    }

    /// Backpressure: while the socket's outbound queue is over its high-water mark, stop
    /// reading, so a peer that does not read its answers cannot make this end buffer more.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        try? context.channel.syncOptions?.setOption(.autoRead, value: writable)
        if writable { context.read() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.channelClosed()
        context.fireChannelInactive()
    }

    private func wrapOutbound(_ buffer: ByteBuffer) -> NIOAny { NIOAny(buffer) }
}

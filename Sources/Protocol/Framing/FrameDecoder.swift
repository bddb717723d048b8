import NIOCore

/// Splits a TCP byte stream into frames: a 4-byte big-endian length N, then N bytes.
///
/// It never buffers more than one maximum-size frame: a declared length over the maximum fires
/// `RPCError.frameTooLarge` down the pipeline (the RPC handler answers and closes) and every byte
/// after it is dropped. A frame that starts and does not complete within
/// `incompleteFrameTimeout` (a slow-loris: a length prefix, then silence or a trickle) closes the
/// connection. The deadline runs from the frame's first byte, so a trickle cannot extend it.
public final class FrameDecoder: ChannelInboundHandler {
    /// Bytes as they arrive.
    public typealias InboundIn = ByteBuffer
    /// One frame's payload per message.
    public typealias InboundOut = ByteBuffer

    private let maximumFrameLength: Int
    private let incompleteFrameTimeout: TimeAmount
    private var buffer: ByteBuffer?
    private var frameStartedAt: NIODeadline?
    private var timer: Scheduled<Void>?
    private var failed = false

    /// Creates a `FrameDecoder`.
    public init(maximumFrameLength: Int, incompleteFrameTimeout: TimeAmount) {
        precondition(maximumFrameLength >= 0 && maximumFrameLength <= Int(UInt32.max), "maximum frame length out of range")
        self.maximumFrameLength = maximumFrameLength
        self.incompleteFrameTimeout = incompleteFrameTimeout
    }

    /// Cuts frames out of the bytes read so far.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var incoming = unwrapInboundIn(data)
        if buffer == nil {
            buffer = incoming
        } else {
            buffer!.writeBuffer(&incoming)
        }
        var emitted = false
        while let frame = nextFrame(context: context) {
            emitted = true
            context.fireChannelRead(wrapInboundOut(frame))
        }
        guard !failed else { return }
        trackIncompleteFrame(context: context, frameCompleted: emitted)
    }

    /// A connection that closes mid-frame passes nothing on.
    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    /// Cancels the incomplete-frame timer.
    public func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    /// The next complete frame's payload, or nil when the buffer holds only part of one.
    private func nextFrame(context: ChannelHandlerContext) -> ByteBuffer? {
        guard var pending = buffer,
            let length = pending.getInteger(at: pending.readerIndex, as: UInt32.self)
        else { return nil }
        guard Int(length) <= maximumFrameLength else {
            failed = true
            buffer = nil
            timer?.cancel()
            context.fireErrorCaught(RPCError.frameTooLarge(length: Int(length), maximum: maximumFrameLength))
            return nil
        }
        guard pending.readableBytes >= Frame.headerLength + Int(length) else { return nil }
        pending.moveReaderIndex(forwardBy: Frame.headerLength)
        let frame = pending.readSlice(length: Int(length))!
        if pending.readableBytes == 0 {
            buffer = nil
        } else {
            if pending.readerIndex > 64 * 1024 { pending.discardReadBytes() }
            buffer = pending
        }
        return frame
    }

    /// Arms one timer for the frame in progress; a timer that fires for a frame that has since
    /// completed re-arms for the current one instead of closing.
    private func trackIncompleteFrame(context: ChannelHandlerContext, frameCompleted: Bool) {
        guard buffer != nil else {
            frameStartedAt = nil
            return
        }
        if frameStartedAt == nil || frameCompleted { frameStartedAt = context.eventLoop.now }
        if timer == nil { armTimer(context: context) }
    }

    private func armTimer(context: ChannelHandlerContext) {
        guard let started = frameStartedAt else { return }
        let deadline = started + incompleteFrameTimeout
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (decoder, context) = loopBound.value
            decoder.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        guard let started = frameStartedAt, !failed else { return }
        if context.eventLoop.now >= started + incompleteFrameTimeout {
            failed = true
            buffer = nil
            context.close(promise: nil)
        } else {
            armTimer(context: context)
        }
    }
}

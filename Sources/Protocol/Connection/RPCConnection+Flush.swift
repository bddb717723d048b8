import NIOCore

/// Write coalescing: when several messages of one connection complete together (answers to
/// concurrent calls, requests of concurrent callers), each is written at once but the flush
/// waits until the event loop has run the work already queued, so they leave in one
/// `writev` and wake the peer once. A lone message is flushed at once, so a single caller
/// pays nothing for it.
extension RPCConnection {
    /// Writes `frame`; flushes now unless `othersUnderWay` and the caller is on the loop.
    /// `promise` (nil when nobody waits for the write, as for most answers: no promise is
    /// then made) completes when the frame reached the socket.
    func write(_ frame: ByteBuffer, othersUnderWay: Bool, promise: EventLoopPromise<Void>?) {
        guard othersUnderWay, channel.eventLoop.inEventLoop else {
            channel.writeAndFlush(frame, promise: promise)
            return
        }
        channel.write(frame, promise: promise)
        if !flushScheduled.value {
            flushScheduled.value = true
            channel.eventLoop.assumeIsolated().execute { [flushScheduled, channel] in
                flushScheduled.value = false
                channel.flush()
            }
        }
    }
}

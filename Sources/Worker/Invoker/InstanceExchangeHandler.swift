import NIOCore
import NIOHTTP1

/// Where one exchange's response goes: for callers that want the whole response, one
/// continuation resumed once (one wake-up of the waiting task instead of one per part); for
/// streams, parts as they arrive, and `done` resumed when the exchange ends. The stream itself
/// is ended by the client, which may first try a stale connection's request again.
/// The continuations are unchecked (a checked one is a heap object more per invoke): the
/// handler clears its exchange before it resumes one, so each is resumed exactly once.
enum ExchangeSink {
    case whole(UnsafeContinuation<InstanceResponse, any Error>)
    case stream(AsyncThrowingStream<InstanceResponsePart, any Error>.Continuation, ReadWindow, done: UnsafeContinuation<Void, any Error>)
}

/// The end of one kept-alive HTTP/1.1 connection to an instance that runs its exchanges: one
/// request at a time (an instance runs one invocation at a time), on the channel's event loop.
///
/// How an exchange ends decides whether it may be retried, the rule that keeps a handler from
/// running twice:
/// - the connection was reused and closed before any response byte (the instance dropped an
///   idle connection, or died since its last call): `.stale`; the client tries once more on a
///   fresh connection, as libcurl and browsers do, and a refused connect there is
///   `.notDelivered`;
/// - the request could not be written in full: `.notDelivered` (no handler sees half a body);
/// - anything after the request was written: `.transferFailed`, `.timedOut`, cancellation.
final class InstanceExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    /// Why an exchange ended without a response.
    enum Failure {
        case stale
        case notDelivered(String)
        case transferFailed(String)
        case timedOut, cancelled, shuttingDown
    }

    private struct Exchange {
        var sink: ExchangeSink
        var reused: Bool
        var response = InstanceResponse(status: 0, headers: [:], body: [])
        var receivedAnything = false
        var keepAlive = true
        var deadline: NIODeadline
    }

    /// What the response decoder is told of each request: only the method matters to it
    /// (a response to HEAD has no body), and every request is a POST.
    private static let requestHead = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")

    private let outlet: InstanceRequestOutlet
    private let decoder: HTTPResponseDecoder
    private var exchange: Exchange?
    private var context: ChannelHandlerContext?
    private var readingPaused = false
    /// The connection's one timeout timer. An exchange only records its deadline; the timer,
    /// set for the first exchange, fires at that deadline and then follows whichever exchange
    /// is running, or lapses on an idle connection. So a warm invoke neither schedules nor
    /// cancels a timer (the event loop's timer heap cost about 3% of the worker's CPU); only
    /// an exchange due before the timer (a shorter timeout than the last) sets it anew.
    private var timer: (task: Scheduled<Void>, at: NIODeadline)?

    /// `outlet` must sit next to the socket and `decoder` (in its `ByteToMessageHandler`)
    /// between the two: requests leave through the outlet, responses arrive decoded.
    init(outlet: InstanceRequestOutlet, decoder: HTTPResponseDecoder) {
        self.outlet = outlet
        self.decoder = decoder
    }

    /// The pipeline of a connection to an instance: outlet, response decoder, this handler.
    static func install(on pipeline: ChannelPipeline.SynchronousOperations) throws -> InstanceExchangeHandler {
        let outlet = InstanceRequestOutlet()
        let decoder = HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)
        let handler = InstanceExchangeHandler(outlet: outlet, decoder: decoder)
        try pipeline.addHandlers([outlet, ByteToMessageHandler(decoder), handler])
        return handler
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        timer?.task.cancel()
        timer = nil
    }

    // MARK: Driving an exchange (on the event loop)

    /// Writes the request; the response goes to `sink`. `reused` says whether the connection
    /// already carried an exchange, which decides how an early close is classified.
    func begin(_ request: InstanceRequest, sink: ExchangeSink, reused: Bool) {
        guard let context, let socket = outlet.context, context.channel.isActive, exchange == nil else {
            Self.deliver(reused ? .stale : .notDelivered("the connection to \(request.endpoint) is closed"), to: sink)
            return
        }
        guard let bytes = request.encoded(allocator: context.channel.allocator) else {
            Self.deliver(.notDelivered("the request's path or one of its headers is not valid HTTP"), to: sink)
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        socket.writeAndFlush(NIOAny(bytes), promise: written)
        // The exchange's state after the write, off the instance's path: its response is read
        // in a later pass of the loop, and a failed write reports through `written` below.
        let deadline = NIODeadline.now() + TimeAmount(request.timeout)
        exchange = Exchange(sink: sink, reused: reused, deadline: deadline)
        if timer.map({ deadline < $0.at }) ?? true { armTimer(at: deadline, context) }
        decoder.write(data: .head(Self.requestHead))
        written.futureResult.assumeIsolated().whenFailure { [self] error in
            guard let exchange, !exchange.receivedAnything else { return }
            fail(exchange.reused ? .stale : .notDelivered("the request could not be written: \(error)"))
        }
    }

    /// Ends the exchange in progress with `failure` and drops the connection.
    func fail(_ failure: Failure) {
        guard let exchange else {
            context?.close(promise: nil)
            return
        }
        self.exchange = nil
        Self.deliver(failure, to: exchange.sink)
        context?.close(promise: nil)
    }

    /// Lets a paused streamed transfer read again (its reader worked the backlog down).
    /// `window` names the exchange that asks: a reader that lags behind its own, finished
    /// exchange must not lift the hold of the next one on this connection.
    func resumeReading(for window: ReadWindow) {
        guard case .stream(_, let current, _)? = exchange?.sink, current === window else { return }
        readAgain()
    }

    /// Whether the connection has stopped reading for a lagging stream reader.
    var isHoldingBack: Bool { readingPaused }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard exchange != nil else {
            // Bytes nobody asked for: the connection is out of step; drop it.
            fail(.transferFailed("the instance sent a response to no request"))
            return
        }
        exchange!.receivedAnything = true
        switch unwrapInboundIn(data) {
        case .head(let head):
            exchange!.keepAlive = head.isKeepAlive
            guard head.status.code >= 200 else { return }  // 100 Continue and friends
            exchange!.response.status = Int(head.status.code)
            exchange!.response.headers = Self.lowercased(head.headers)
            if case .stream(let continuation, _, _) = exchange!.sink {
                continuation.yield(.head(status: exchange!.response.status, headers: exchange!.response.headers))
            }
        case .body(let buffer):
            switch exchange!.sink {
            case .whole:
                exchange!.response.body.append(contentsOf: buffer.readableBytesView)
            case .stream(let continuation, let window, _):
                continuation.yield(.body(Array(buffer.readableBytesView)))
                if !window.admit(buffer.readableBytes) { pauseReading(context) }
            }
        case .end(let trailers):
            finish(trailers: trailers.map(Self.lowercased) ?? [:])
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let exchange {
            fail(
                exchange.receivedAnything || !exchange.reused
                    ? .transferFailed("the instance closed the connection before its response was complete")
                    : .stale)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if exchange != nil {
            fail(.transferFailed("the exchange failed: \(error)"))
        } else {
            context.close(promise: nil)
        }
    }

    // MARK: Helpers

    private func finish(trailers: [String: String]) {
        guard var exchange else { return }
        self.exchange = nil
        // The hold was for this exchange's reader; what it has not read is in its stream
        // already. The next exchange on this connection starts reading.
        readAgain()
        if !exchange.keepAlive { context?.close(promise: nil) }
        switch exchange.sink {
        case .stream(let continuation, _, let done):
            if !trailers.isEmpty { continuation.yield(.trailers(trailers)) }
            done.resume()
        case .whole(let continuation):
            exchange.response.headers.merge(trailers) { $1 }
            continuation.resume(returning: exchange.response)
        }
    }

    private func armTimer(at deadline: NIODeadline, _ context: ChannelHandlerContext) {
        timer?.task.cancel()
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            guard let exchange, let context = self.context else { return }
            if exchange.deadline <= .now() {
                fail(.timedOut)
            } else {
                armTimer(at: exchange.deadline, context)
            }
        }
        timer = (task, deadline)
    }

    private func readAgain() {
        guard readingPaused, let context else { return }
        readingPaused = false
        try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        context.read()
    }

    private func pauseReading(_ context: ChannelHandlerContext) {
        guard !readingPaused else { return }
        readingPaused = true
        try? context.channel.syncOptions?.setOption(.autoRead, value: false)
    }

    private static func lowercased(_ headers: HTTPHeaders) -> [String: String] {
        var result = [String: String](minimumCapacity: headers.count)
        for (name, value) in headers { result[name.lowercased()] = value }
        return result
    }

    private static func deliver(_ failure: Failure, to sink: ExchangeSink) {
        let error: any Error
        switch failure {
        case .stale: error = StaleConnection()
        case .notDelivered(let why): error = WorkerError(.notDelivered, "request never reached the instance: \(why)")
        case .transferFailed(let why): error = WorkerError(.transferFailed, "transfer failed after the request was sent: \(why)")
        case .timedOut: error = WorkerError(.timedOut, "instance did not answer in time")
        case .cancelled: error = CancellationError()
        case .shuttingDown: error = WorkerError(.shuttingDown, "the invoker is shutting down")
        }
        switch sink {
        case .stream(_, _, let done): done.resume(throwing: error)
        case .whole(let continuation): continuation.resume(throwing: error)
        }
    }
}

/// A reused connection closed before any response byte: try again on a fresh one.
struct StaleConnection: Error {}

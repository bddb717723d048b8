import Foundation
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import ShoalProtocol

/// Serves the REST Invoke (`POST /2015-03-31/functions/{name}/invocations`) in the channel
/// pipeline, ahead of Hummingbird's async channel, and passes every other request on to it.
///
/// Measured (docs/performance-log.md, eighteenth round): through Hummingbird's async channel a
/// warm REST invoke cost the gateway 2.8 times the CPU of the same JSON-RPC invoke, much of it
/// the async iterator over request parts and the async writer that answers. The answer is the
/// same `RESTFacade.invokeAnswer` the Hummingbird route uses; only the HTTP plumbing differs.
/// A request is taken here only while none that went to Hummingbird is unanswered, so the
/// answers of a pipelining client stay in order; requests that arrive while one is taken
/// wait here and are handled in order after it.
final class RESTInvokeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Mode {
        case idle
        /// The current request went to Hummingbird.
        case forwarding
        /// An Invoke being read: its head, and its body up to the synchronous limit.
        case collecting(HTTPRequest, ByteBuffer, tooLarge: Bool)
        /// An Invoke being answered; later parts wait in `queued`.
        case answering
    }

    private let facade: RESTFacade
    private var mode = Mode.idle
    /// Requests passed to Hummingbird whose answer has not ended yet.
    private var forwardedInFlight = 0
    private var queued: [HTTPRequestPart] = []
    /// The server's shutdown asked this connection to close once idle while an Invoke taken
    /// here was under way; Hummingbird's state handler (after this one) gets the request once
    /// it is answered, since it cannot see that Invoke.
    private var quiesceHeld: Any?
    /// The task answering the Invoke taken here; a client that goes away cancels it (and so
    /// the call to the worker), as the JSON-RPC server cancels a request's task.
    private var answering: Task<Void, Never>?

    init(facade: RESTFacade) { self.facade = facade }

    static let prefix = "/2015-03-31/functions/"
    static let suffix = "/invocations"

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        handle(unwrapInboundIn(data), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, isTaken {
            quiesceHeld = event
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Whether an Invoke is being read or answered here.
    private var isTaken: Bool {
        switch mode {
        case .collecting, .answering: true
        case .idle, .forwarding: false
        }
    }

    private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        if case .answering = mode {
            queued.append(part)
            return
        }
        switch part {
        case .head(let request):
            if forwardedInFlight == 0, request.method == .post, Self.label(of: request.path ?? "") != nil,
                FunctionURLMiddleware.urlID(host: request.authority) == nil
            {
                mode = .collecting(request, context.channel.allocator.buffer(capacity: 0), tooLarge: false)
            } else {
                forwardedInFlight += 1
                mode = .forwarding
                context.fireChannelRead(wrapInboundOut(part))
            }
        case .body(var bytes):
            guard case .collecting(let request, var body, let tooLarge) = mode else {
                context.fireChannelRead(wrapInboundOut(part))
                return
            }
            mode = .idle  // no second reference to `body` while it grows
            let over = tooLarge || body.readableBytes + bytes.readableBytes > GatewayService.maximumSyncPayload
            if !over { body.writeBuffer(&bytes) }
            mode = .collecting(request, body, tooLarge: over)
        case .end:
            guard case .collecting(let request, let body, let tooLarge) = mode else {
                context.fireChannelRead(wrapInboundOut(part))
                return
            }
            mode = .answering
            answer(request, body: body, tooLarge: tooLarge, context: context)
        }
    }

    private func answer(_ request: HTTPRequest, body: ByteBuffer, tooLarge: Bool, context: ChannelHandlerContext) {
        answering = Self.answer(
            request, body: body, tooLarge: tooLarge, facade: facade, then: NIOLoopBound((self, context), eventLoop: context.eventLoop))
    }

    func channelInactive(context: ChannelHandlerContext) {
        answering?.cancel()
        answering = nil
        context.fireChannelInactive()
    }

    /// Answers in a task, then writes the answer on the connection's loop.
    private static func answer(
        _ request: HTTPRequest, body: ByteBuffer, tooLarge: Bool, facade: RESTFacade,
        then bound: NIOLoopBound<(RESTInvokeHandler, ChannelHandlerContext)>
    ) -> Task<Void, Never> {
        let closes = request.headerFields[.connection]?.lowercased() == "close"
        return Task {
            let answer = await Self.answer(request, body: body, tooLarge: tooLarge, facade: facade)
            bound.eventLoop.execute {
                bound.value.0.write(answer, closing: closes, context: bound.value.1)
            }
        }
    }

    /// The Invoke's answer, or the REST error in its place.
    private static func answer(_ request: HTTPRequest, body: ByteBuffer, tooLarge: Bool, facade: RESTFacade) async -> RESTFacade.InvokeAnswer {
        let uri = URI(request.path ?? "")
        do {
            if tooLarge {
                throw RESTError.syncPayloadTooLarge
            }
            return try await facade.invokeAnswer(
                label: try RESTFacade.decoded(label(of: uri.path) ?? ""), qualifier: uri.queryParameters["Qualifier"].map(String.init),
                headers: request.headerFields, payload: Array(buffer: body))
        } catch {
            let failure = RESTError(any: error)
            return .init(status: .init(code: failure.status), headers: failure.headers, body: ByteBuffer(bytes: failure.body))
        }
    }

    private func write(_ answer: RESTFacade.InvokeAnswer, closing: Bool, context: ChannelHandlerContext) {
        var headers = answer.headers
        headers[.amznRequestID] = RequestID.next()
        headers[.contentLength] = String(answer.body.readableBytes)
        if closing { headers[.connection] = "close" }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: headers))), promise: nil)
        if answer.body.readableBytes > 0 { context.write(wrapOutboundOut(.body(answer.body)), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        mode = .idle
        answering = nil
        if closing {
            context.close(promise: nil)
            return
        }
        if let event = quiesceHeld {
            quiesceHeld = nil
            queued.removeAll()
            context.fireUserInboundEventTriggered(event)
            return
        }
        // What arrived meanwhile, in order (it may be another Invoke, taken here again).
        while !queued.isEmpty, !isAnswering {
            handle(queued.removeFirst(), context: context)
        }
    }

    private var isAnswering: Bool {
        if case .answering = mode { return true }
        return false
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { forwardedInFlight -= 1 }
        context.write(data, promise: promise)
    }

    /// The raw `{name}` of an Invoke path, or nil for any other path.
    static func label(of path: String) -> Substring? {
        let path = path.split(separator: "?", maxSplits: 1).first ?? ""
        guard path.hasPrefix(prefix), path.hasSuffix(suffix), path.count > prefix.count + suffix.count else { return nil }
        let label = path.dropFirst(prefix.count).dropLast(suffix.count)
        return label.contains("/") ? nil : label
    }
}

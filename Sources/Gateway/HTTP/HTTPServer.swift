import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server: each request is read whole and answered by an async responder.
/// It serves `/metrics` now and is where the AWS Lambda REST facade plugs in.
package final class HTTPServer: Sendable {
    package struct Request: Sendable {
        package var method: HTTPMethod
        package var uri: String
        package var headers: HTTPHeaders
        package var body: ByteBuffer
    }

    package struct Response: Sendable {
        package var status: HTTPResponseStatus
        package var headers: HTTPHeaders
        package var body: ByteBuffer

        package init(status: HTTPResponseStatus, contentType: String = "text/plain; charset=utf-8", body: String) {
            self.status = status
            self.headers = HTTPHeaders([("Content-Type", contentType)])
            self.body = ByteBuffer(string: body)
        }
    }

    package typealias Responder = @Sendable (Request) async -> Response

    private let channel: any Channel
    package var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel) { self.channel = channel }

    /// Largest request body accepted (AWS's 6 MiB payload, base64 and JSON around it).
    static let maximumBody = 16 * 1024 * 1024

    package static func bind(host: String, port: Int, responder: @escaping Responder) async throws -> HTTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(responder: responder))
                }
            }
            .bind(host: host, port: port).get()
        return HTTPServer(channel: channel)
    }

    package func close() async {
        try? await channel.close()
    }
}

private final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let responder: HTTPServer.Responder
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var rejected = false

    init(responder: @escaping HTTPServer.Responder) { self.responder = responder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var part):
            guard !rejected else { return }
            guard body.readableBytes + part.readableBytes <= HTTPServer.maximumBody else {
                rejected = true
                head = nil
                respond(context: context, keepAlive: false, HTTPServer.Response(status: .payloadTooLarge, body: "request body too large\n"))
                return
            }
            body.writeBuffer(&part)
        case .end:
            guard let head else { return }
            self.head = nil
            let request = HTTPServer.Request(method: head.method, uri: head.uri, headers: head.headers, body: body)
            let keepAlive = head.isKeepAlive
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let promise = context.eventLoop.makePromise(of: HTTPServer.Response.self)
            promise.completeWithTask { [responder] in await responder(request) }
            promise.futureResult.whenSuccess { response in
                let (handler, context) = bound.value
                handler.respond(context: context, keepAlive: keepAlive, response)
            }
        }
    }

    private func respond(context: ChannelHandlerContext, keepAlive: Bool, _ response: HTTPServer.Response) {
        var headers = response.headers
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        let channel = context.channel
        if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
    }
}

import NIOCore
import NIOHTTP1
import NIOPosix

/// Small helpers for the two HTTP servers of the RIE, on NIO's async channels: each
/// connection is served by one task that reads requests in order, which keeps a streamed
/// request body's chunks in order without extra bookkeeping.
typealias HTTPInbound = NIOAsyncChannelInboundStream<HTTPServerRequestPart>
typealias HTTPOutbound = NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
typealias HTTPConnection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

enum HTTPExchange {
    /// Binds an HTTP/1.1 server; `serve` runs once per connection.
    static func bind(host: String, port: Int) async throws -> NIOAsyncChannel<HTTPConnection, Never> {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try HTTPConnection(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Serves every connection of `server` with `handle` until the server closes.
    static func serve(
        _ server: NIOAsyncChannel<HTTPConnection, Never>,
        _ handle: @escaping @Sendable (HTTPResponseHead.Head, inout HTTPInbound.AsyncIterator, HTTPOutbound) async throws -> Void
    ) async throws {
        try await server.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask {
                        try? await connection.executeThenClose { inbound, outbound in
                            var parts = inbound.makeAsyncIterator()
                            while let part = try await parts.next() {
                                guard case .head(let head) = part else { continue }
                                try await handle(head, &parts, outbound)
                            }
                        }
                    }
                }
            }
        }
    }

    /// A request body, or how large it was when it went over the limit.
    enum Body {
        case complete([UInt8])
        case tooLarge(size: Int)

        /// The bytes, or nil if the body was over the limit.
        var bytes: [UInt8]? {
            if case .complete(let bytes) = self { bytes } else { nil }
        }
    }

    /// Reads the rest of a request body, keeping at most `limit` bytes (the rest is drained).
    static func readBody(_ parts: inout HTTPInbound.AsyncIterator, limit: Int) async throws -> Body {
        var body: [UInt8] = []
        var size = 0
        while let part = try await parts.next() {
            switch part {
            case .head: continue
            case .body(let buffer):
                size += buffer.readableBytes
                if size <= limit { body.append(contentsOf: buffer.readableBytesView) }
            case .end: return size <= limit ? .complete(body) : .tooLarge(size: size)
            }
        }
        return size <= limit ? .complete(body) : .tooLarge(size: size)
    }

    static func respond(
        _ outbound: HTTPOutbound, status: Int, headers: [String: String] = [:], body: [UInt8], keepAlive: Bool = true
    ) async throws {
        var head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: status))
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        head.headers.replaceOrAdd(name: "Content-Length", value: "\(body.count)")
        if !keepAlive { head.headers.replaceOrAdd(name: "Connection", value: "close") }
        try await outbound.write(.head(head))
        if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        try await outbound.write(.end(nil))
    }
}

extension HTTPResponseHead {
    /// The request head (a namespace trick keeps the handler signature short).
    typealias Head = HTTPRequestHead
}

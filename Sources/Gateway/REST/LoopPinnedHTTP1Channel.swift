import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ShoalExecutor

/// Hummingbird's HTTP/1.1 connection, its task pinned to the channel's event loop.
///
/// Hummingbird starts each connection's task from the server's accept loop, so with `shoal`'s
/// tasks on NIO's loops every connection's task ran on the listening socket's loop while its
/// channel lived on another: each request read and each answer written crossed threads (a
/// wake-up costs this project's machines about 15 CPU µs; docs/performance-log.md). Pinned, a
/// REST invoke reads, calls the worker over that loop's connection, and answers on one thread.
struct LoopPinnedHTTP1Channel: ServerChildChannel {
    let inner: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
    }

    /// The server builder Hummingbird's `Application` takes; `invoke` serves the REST Invoke
    /// in each connection's pipeline (`RESTInvokeHandler`).
    static func builder(invoke facade: RESTFacade?) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            var configuration = HTTP1Channel.Configuration()
            if let facade { configuration.additionalChannelHandlers = { [RESTInvokeHandler(facade: facade)] } }
            return LoopPinnedHTTP1Channel(inner: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }
}

import NIOCore

/// The first handler of an instance connection's pipeline (next to the socket), from whose
/// context `InstanceExchangeHandler` writes its requests, already encoded
/// (`InstanceRequest.encoded`). Writes from here reach the socket without passing the
/// response decoder, which would take them for `HTTPClientRequestPart`s; the exchange handler
/// tells the decoder about each request itself.
final class InstanceRequestOutlet: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer

    private(set) var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }
}

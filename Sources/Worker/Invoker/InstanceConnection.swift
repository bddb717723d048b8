import NIOConcurrencyHelpers
import NIOCore

/// One kept-alive connection to an instance, usable from any task: every touch of its
/// handler runs on the channel's event loop, inline when the caller is already there (the
/// usual case: a worker's invoking task runs on the loop its connections were opened from).
final class InstanceConnection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<InstanceExchangeHandler>

    init(channel: any Channel, handler: InstanceExchangeHandler) {
        self.channel = channel
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    }

    /// Sends `request` and returns the whole response. Cancelling the caller drops the
    /// connection, which aborts the exchange.
    func send(_ request: InstanceRequest, reused: Bool) async throws -> InstanceResponse {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                onLoop { $0.begin(request, sink: .whole(continuation), reused: reused) }
            }
        } onCancel: {
            fail(.cancelled)
        }
    }

    /// Sends `request`; response parts go to `parts` as they arrive. Returns when the exchange
    /// has ended (the caller ends `parts`).
    func stream(
        _ request: InstanceRequest, reused: Bool, to parts: AsyncThrowingStream<InstanceResponsePart, any Error>.Continuation, window: ReadWindow
    ) async throws {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (done: UnsafeContinuation<Void, any Error>) in
                onLoop { $0.begin(request, sink: .stream(parts, window, done: done), reused: reused) }
            }
        } onCancel: {
            fail(.cancelled)
        }
    }

    func resumeReading(for window: ReadWindow) {
        onLoop { $0.resumeReading(for: window) }
    }

    func fail(_ failure: InstanceExchangeHandler.Failure) {
        onLoop { $0.fail(failure) }
    }

    /// Whether it can carry another exchange (an ended exchange closes it when it cannot).
    var isReusable: Bool { channel.isActive }

    private func onLoop(_ body: @escaping @Sendable (InstanceExchangeHandler) -> Void) {
        if channel.eventLoop.inEventLoop {
            body(handler.value)
        } else {
            channel.eventLoop.execute { [handler] in body(handler.value) }
        }
    }
}

import NIOConcurrencyHelpers

/// How many streamed body bytes the curl thread has handed to a reader that the reader has
/// not yet finished with. Past `limit` the transfer pauses (curl stops reading the socket, so
/// TCP pushes back on the instance); once the reader has worked the backlog down to half,
/// the transfer resumes. This is what bounds a worker's memory per stream when its reader
/// (the gateway, and behind it a client) is slow.
final class ReadWindow: Sendable {
    private struct State {
        var buffered = 0
        var paused = false
    }

    let limit: Int
    private let state = NIOLockedValueBox(State())

    init(limit: Int) {
        precondition(limit > 0, "a read window needs room for at least one byte")
        self.limit = limit
    }

    /// Called on the curl thread for each body piece: false means pause instead.
    func admit(_ count: Int) -> Bool {
        state.withLockedValue { state in
            guard state.buffered < limit else {
                state.paused = true
                return false
            }
            state.buffered += count
            return true
        }
    }

    /// Called by the reader when it is done with `count` bytes; true when the transfer was
    /// paused and should now resume.
    func consumed(_ count: Int) -> Bool {
        state.withLockedValue { state in
            state.buffered -= count
            guard state.paused, state.buffered <= limit / 2 else { return false }
            state.paused = false
            return true
        }
    }

    var buffered: Int { state.withLockedValue { $0.buffered } }
}

/// The parts of a streamed response, as `CurlInvoker.stream` returns them. A body piece counts
/// against the transfer's read window until the reader asks for the next part, so a reader
/// that is slow to pass bytes on holds the transfer back instead of letting it pile up here.
public struct CurlResponseStream: AsyncSequence, Sendable {
    public typealias Element = InstanceResponsePart

    let parts: AsyncThrowingStream<InstanceResponsePart, any Error>
    let window: ReadWindow
    let resume: @Sendable () -> Void

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<InstanceResponsePart, any Error>.AsyncIterator
        let window: ReadWindow
        let resume: @Sendable () -> Void
        var held = 0

        public mutating func next() async throws -> InstanceResponsePart? {
            if held > 0 {
                if window.consumed(held) { resume() }
                held = 0
            }
            let part = try await base.next()
            if case .body(let bytes) = part { held = bytes.count }
            return part
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: parts.makeAsyncIterator(), window: window, resume: resume)
    }
}

import NIOConcurrencyHelpers

/// How many streamed body bytes a connection has handed to a reader that the reader has not
/// yet finished with. Past `limit` the connection stops reading (so TCP pushes back on the
/// instance); once the reader has worked the backlog down to half, it reads again. This is
/// what bounds a worker's memory per stream when its reader (the gateway, and behind it a
/// client) is slow: `limit` plus what one readiness event reads (NIO: up to 4 × 64 KiB).
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

    /// Called on the event loop for each body piece already handed on: false means stop
    /// reading until the reader catches up.
    func admit(_ count: Int) -> Bool {
        state.withLockedValue { state in
            state.buffered += count
            if state.buffered >= limit { state.paused = true }
            return !state.paused
        }
    }

    /// Called by the reader when it is done with `count` bytes; true when reading was
    /// stopped and should now go on.
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

/// The parts of a streamed response, as `InstanceClient.stream` returns them. A body piece
/// counts against the exchange's read window until the reader asks for the next part, so a
/// reader that is slow to pass bytes on holds the instance back instead of letting bytes
/// pile up here.
package struct InstanceResponseStream: AsyncSequence, Sendable {
    package typealias Element = InstanceResponsePart

    let parts: AsyncThrowingStream<InstanceResponsePart, any Error>
    let window: ReadWindow
    let resume: @Sendable () -> Void

    package struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<InstanceResponsePart, any Error>.AsyncIterator
        let window: ReadWindow
        let resume: @Sendable () -> Void
        var held = 0

        package mutating func next() async throws -> InstanceResponsePart? {
            if held > 0 {
                if window.consumed(held) { resume() }
                held = 0
            }
            let part = try await base.next()
            if case .body(let bytes) = part { held = bytes.count }
            return part
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: parts.makeAsyncIterator(), window: window, resume: resume)
    }
}

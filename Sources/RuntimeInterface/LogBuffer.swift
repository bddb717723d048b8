import NIOConcurrencyHelpers

/// The instance's output (runtime stdout and stderr, plus the START/END/REPORT lines), kept in
/// a bounded buffer addressed by absolute offsets, so the log of exactly one invocation can be
/// cut out of it while older output is dropped.
public final class LogBuffer: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        /// Absolute offset of `bytes[0]`.
        var start = 0
    }

    public let capacity: Int
    private let state = NIOLockedValueBox(State())

    public init(capacity: Int = 1024 * 1024) {
        precondition(capacity > 0, "a log buffer needs room")
        self.capacity = capacity
    }

    /// Absolute offset just past the newest byte.
    public var end: Int { state.withLockedValue { $0.start + $0.bytes.count } }

    public func append(_ bytes: some Collection<UInt8>) {
        state.withLockedValue { state in
            state.bytes.append(contentsOf: bytes)
            let excess = state.bytes.count - capacity
            if excess > 0 {
                state.bytes.removeFirst(excess)
                state.start += excess
            }
        }
    }

    public func append(line: String) {
        append(Array((line + "\n").utf8))
    }

    /// The bytes from absolute offset `from` to now, at most the last `limit` of them.
    public func tail(from: Int, limit: Int) -> [UInt8] {
        state.withLockedValue { state in
            let lower = max(from, state.start, state.start + state.bytes.count - limit)
            let index = lower - state.start
            guard index < state.bytes.count else { return [] }
            return Array(state.bytes[index...])
        }
    }

    /// Everything still held.
    public var contents: [UInt8] { state.withLockedValue { $0.bytes } }
}

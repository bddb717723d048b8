import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The instance's output (runtime stdout and stderr, plus the START/END/REPORT lines), kept in
/// a bounded buffer addressed by absolute offsets, so the log of exactly one invocation can be
/// cut out of it while older output is dropped.
///
/// Old bytes are dropped in batches: the storage may grow to twice the capacity before it is
/// cut back to the newest `capacity` bytes, so appending stays O(1) amortized (dropping a few
/// bytes from the front on every append would move the whole buffer each time).
package final class LogBuffer: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        /// Absolute offset of `bytes[0]`.
        var start = 0
        /// Callers of `wait(beyond:atMost:)`: the offset each waits to see passed.
        var waiters: [UInt64: (offset: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextWaiter: UInt64 = 0
    }

    package let capacity: Int
    private let state = NIOLockedValueBox(State())

    package init(capacity: Int = 1024 * 1024) {
        precondition(capacity > 0, "a log buffer needs room")
        self.capacity = capacity
    }

    /// Absolute offset just past the newest byte.
    package var end: Int { state.withLockedValue { $0.start + $0.bytes.count } }

    package func append(_ bytes: some Collection<UInt8>) {
        let woken = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.bytes.append(contentsOf: bytes)
            if state.bytes.count > 2 * capacity {
                let excess = state.bytes.count - capacity
                state.bytes.removeFirst(excess)
                state.start += excess
            }
            guard !state.waiters.isEmpty else { return [] }
            let end = state.start + state.bytes.count
            let passed = state.waiters.filter { $0.value.offset < end }
            for id in passed.keys { state.waiters.removeValue(forKey: id) }
            return passed.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns once the buffer has grown past absolute offset `offset`, or after `limit`,
    /// whichever is first. The limit is an event-loop timer: a process waiting for a child's
    /// ready line wakes when the line arrives, not on a polling `Task.sleep` (whose timers run
    /// on libdispatch threads, a thread hop per look).
    package func wait(beyond offset: Int, atMost limit: TimeAmount) async {
        await withCheckedContinuation { continuation in
            let id = state.withLockedValue { state -> UInt64? in
                guard state.start + state.bytes.count <= offset else { return nil }
                state.nextWaiter += 1
                state.waiters[state.nextWaiter] = (offset, continuation)
                return state.nextWaiter
            }
            guard let id else { return continuation.resume() }
            MultiThreadedEventLoopGroup.singleton.next().scheduleTask(in: limit) {
                self.state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
            }
        }
    }

    package func append(line: String) {
        append(Array((line + "\n").utf8))
    }

    /// The bytes from absolute offset `from` to now, at most the last `limit` of them.
    package func tail(from: Int, limit: Int) -> [UInt8] {
        state.withLockedValue { state in
            let end = state.start + state.bytes.count
            let lower = max(from, state.start, end - limit, end - capacity)
            let index = lower - state.start
            guard index < state.bytes.count else { return [] }
            return Array(state.bytes[index...])
        }
    }

    /// The newest `capacity` bytes.
    package var contents: [UInt8] { state.withLockedValue { Array($0.bytes.suffix(capacity)) } }
}

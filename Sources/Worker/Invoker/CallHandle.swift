import NIOConcurrencyHelpers

/// Cancels a call served without a task (`InstanceClient.send(onLoop:then:)`,
/// `WarmPoolManager.invokeOnLoop`) wherever it has got to: the call moves from a connection's
/// exchange to a task when it must wait (a fresh connection, another attempt), and each step
/// says here how to stop it. A cancel stops every step named so far: stopping one that is over
/// does nothing, and a step may be named after the next one began (a failure reported before
/// its sender returned).
final class CallHandle: Sendable {
    private enum State {
        case running([@Sendable () -> Void])
        /// Cancelled or over: a late cancel must not touch a connection that may carry another
        /// call by then.
        case ended
    }

    private let state = NIOLockedValueBox(State.running([]))

    func cancel() {
        let previous = state.withLockedValue { state in
            defer { state = .ended }
            return state
        }
        if case .running(let steps) = previous {
            for stop in steps { stop() }
        }
    }

    /// The call's next step stops with `stop`; after a cancel it is stopped at once.
    func follow(_ stop: @escaping @Sendable () -> Void) {
        let cancelled = state.withLockedValue { state in
            guard case .running(let steps) = state else { return true }
            state = .running(steps + [stop])
            return false
        }
        if cancelled { stop() }
    }

    /// The call is over; later cancels do nothing.
    func end() {
        state.withLockedValue { $0 = .ended }
    }
}

import NIOConcurrencyHelpers

/// Cancels a call served without a task (`WarmPoolManager.invokeOnLoop`, `invokeInTask`)
/// wherever it has got to: the call moves from a connection's exchange to a task when it must
/// wait (a fresh connection, another attempt), and each step says here how to stop it.
final class CallHandle: Sendable {
    private enum State {
        /// What stops the current step; nil between steps.
        case running((@Sendable () -> Void)?)
        case cancelled
    }

    private let state = NIOLockedValueBox(State.running(nil))

    func cancel() {
        let previous = state.withLockedValue { state in
            defer { state = .cancelled }
            return state
        }
        if case .running(let stop?) = previous { stop() }
    }

    /// The call moved on to a step that `stop` stops (the one before is over); after a
    /// cancel it is stopped at once.
    func follow(_ stop: @escaping @Sendable () -> Void) {
        let cancelled = state.withLockedValue { state in
            guard case .running = state else { return true }
            state = .running(stop)
            return false
        }
        if cancelled { stop() }
    }

    /// The current step is over: a cancel must no longer touch it (the connection it used may
    /// carry another call by then).
    func stepEnded() {
        state.withLockedValue { state in
            if case .running = state { state = .running(nil) }
        }
    }
}

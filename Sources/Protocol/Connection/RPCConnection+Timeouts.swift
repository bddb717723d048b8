import NIOCore

/// Call timeouts with one timer per connection instead of one per call.
///
/// Scheduling and cancelling a timer for every call cost about 6% of the gateway's CPU under
/// load (`perf`: the event loop's timer heap, whose removal is a linear search). Each pending
/// call records its deadline instead; one timer is set for the earliest, and when it fires it
/// fails the calls that are due and sets itself for the next deadline. A call that completes
/// leaves its deadline behind with its entry: nothing to cancel. Timeouts fire as precisely
/// as before, at the call's own deadline.
extension RPCConnection {
    func armTimeout(for id: RPCID, after timeout: Duration) {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let earliest = state.withLockedValue { state -> Bool in
            // One hash of the id, not three: through the values' index, in place.
            guard let index = state.pending.index(forKey: id) else { return false }
            state.pending.values[index].deadline = deadline
            state.pending.values[index].timeout = timeout
            if let sweepAt = state.sweepAt, sweepAt <= deadline { return false }
            state.sweepAt = deadline
            return true
        }
        if earliest { scheduleSweep(at: deadline) }
    }

    /// Moves a pending call's deadline to `timeout` from now, earlier or later (a peer said
    /// how long the work will take from here); nothing if the call is no longer pending.
    public func resetTimeout(of id: RPCID, to timeout: Duration) {
        armTimeout(for: id, after: timeout)
    }

    /// Sets the timer for `deadline`, unless an earlier one took its place meanwhile.
    private func scheduleSweep(at deadline: NIODeadline) {
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) { self.sweep() }
        let replaced = state.withLockedValue { state -> Scheduled<Void>? in
            guard state.sweepAt == deadline, !state.isClosed else { return timer }
            defer { state.sweepTimer = timer }
            return state.sweepTimer
        }
        replaced?.cancel()
    }

    /// Fails the calls that are due and sets the timer for the next deadline.
    private func sweep() {
        let now = NIODeadline.now()
        let (due, next) = state.withLockedValue { state -> ([(RPCID, Duration)], NIODeadline?) in
            var due: [(RPCID, Duration)] = []
            var next: NIODeadline?
            for (id, call) in state.pending {
                guard let deadline = call.deadline else { continue }
                if deadline <= now {
                    due.append((id, call.timeout))
                } else if next.map({ deadline < $0 }) ?? true {
                    next = deadline
                }
            }
            state.sweepAt = next
            state.sweepTimer = nil
            return (due, next)
        }
        for (id, timeout) in due { abandon(id, RPCError(.timedOut, "no answer within \(timeout)")) }
        if let next { scheduleSweep(at: next) }
    }
}

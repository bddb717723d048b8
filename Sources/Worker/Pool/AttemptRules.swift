/// The two rules of an invocation attempt, as pure functions, so that the task path and the
/// on-loop path of `WarmPoolManager` decide the same way.
enum AttemptRules {
    /// What a failed attempt means.
    enum AfterFailure: Equatable {
        /// The request never reached a handler: evict the instance and try another.
        case retry
        /// It may have reached one: recycle the instance and fail the call, so that no
        /// handler ever runs twice.
        case fail
    }

    /// Only a request that provably never reached a handler (probe failed, connection refused,
    /// request not written, and no byte of an answer received) is tried again.
    static func afterFailure(_ error: any Error, receivedAnything: Bool) -> AfterFailure {
        guard let error = error as? WorkerError, error.code == .notDelivered, !receivedAnything else { return .fail }
        return .retry
    }

    /// Whether an instance can be used without a reachability probe: it completed an
    /// invocation less than `freshness` ago, so its kept-alive connection just worked (and if
    /// it died since, the reconnect fails the same "never delivered" way the probe would).
    static func skipsProbe(lastSuccessAgo: Duration?, freshness: Duration) -> Bool {
        guard let lastSuccessAgo else { return false }
        return lastSuccessAgo < freshness
    }
}

import Synchronization

/// How many requests this process is serving at once, counted across the connections whose
/// configuration reports to it (`RPCConnection.Configuration.onServing`, set by the gateway's
/// and the worker's commands): the load signal for `LoopScheduling`.
///
/// Two relaxed atomic additions per request (a JSON-RPC batch counts as one), and a third
/// write only when the count exceeds the peak so far; the reader takes the highest count
/// seen since it last looked, so a burst between two looks is not missed.
enum ServingLoad {
    private static let current = Atomic<Int>(0)
    private static let peak = Atomic<Int>(0)

    /// The highest count since the last call (or since the process started); the next
    /// period starts from the count now.
    static func takePeak() -> Int {
        peak.exchange(current.load(ordering: .relaxed), ordering: .relaxed)
    }

    /// `RPCConnection.Configuration.onServing`: +1 as a request starts, -1 as it is answered.
    @Sendable static func changed(_ delta: Int) {
        let count = current.add(delta, ordering: .relaxed).newValue
        if delta > 0, count > peak.load(ordering: .relaxed) { peak.max(count, ordering: .relaxed) }
    }
}

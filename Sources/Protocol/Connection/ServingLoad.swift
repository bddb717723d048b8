import Synchronization

/// How many requests this process is serving at once, counted across every `RPCConnection`:
/// the load signal for choices that depend on concurrency rather than on any one connection
/// (the event loops' scheduling policy, `LoopScheduling` in the `shoal` executable).
///
/// Two relaxed atomic additions per request (a JSON-RPC batch counts as one), and a third
/// write only when the count exceeds the peak so far; the reader takes the highest count
/// seen since it last looked, so a burst between two looks is not missed.
public enum ServingLoad {
    private static let current = Atomic<Int>(0)
    private static let peak = Atomic<Int>(0)

    /// The highest count since the last call (or since the process started); the next
    /// period starts from the count now.
    public static func takePeak() -> Int {
        peak.exchange(current.load(ordering: .relaxed), ordering: .relaxed)
    }

    static func began() {
        let count = current.add(1, ordering: .relaxed).newValue
        if count > peak.load(ordering: .relaxed) { peak.max(count, ordering: .relaxed) }
    }

    static func ended() {
        current.subtract(1, ordering: .relaxed)
    }
}

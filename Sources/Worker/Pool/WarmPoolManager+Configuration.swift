extension WarmPoolManager {
    /// The pool policy of one worker. Defaults are the reference implementation's.
    package struct Configuration: Sendable {
        package var pool = WarmPool.Configuration()
        /// Idle instances unused this long are stopped by the reaper.
        package var idleTTL: Duration = .seconds(300)
        /// How often the reaper looks.
        package var reapInterval: Duration = .seconds(30)
        /// The reachability probe's connect timeout.
        package var probeTimeout: Duration = .milliseconds(1500)
        /// An instance that completed an invocation less than this long ago is not probed
        /// again: its kept-alive connection just worked, and if it died since, the instance
        /// client's reconnect fails with the same "never delivered" outcome the probe would
        /// give (its connect timeout equals the probe's). Saves a TCP handshake per warm invoke
        /// (about 125 µs, README). Zero probes before every forward.
        package var probeFreshness: Duration = .seconds(1)
        /// Attempts per invocation while the request provably never reached a handler.
        package var maxAttempts = 5
        /// How long a call may wait for an instance (the function at its cap, or a cold start
        /// under way) before it fails with QueueWaitExceeded, having run nowhere. Time spent
        /// waiting is not the function's: its timeout counts from when the runtime takes the event.
        package var maxQueueWait: Duration = .seconds(30)
        /// What a cold start's first invocation may spend initializing on top of its timeout
        /// (Lambda's init phase limit): part of the budget a caller is told when it starts running.
        package var initBudget: Duration = .seconds(10)
        /// Added to the function's timeout for the HTTP exchange's deadline.
        package var invokeGrace: Duration = .seconds(5)

        package init() {}
    }
}

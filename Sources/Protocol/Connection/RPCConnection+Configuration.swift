import Logging
import NIOCore

extension RPCConnection {
    /// How a connection frames, times out and logs. The defaults are docs/api.md's.
    public struct Configuration: Sendable {
        /// Largest frame payload accepted or sent (docs/api.md: 16 MiB).
        public var maximumFrameLength: Int = 16 * 1024 * 1024
        /// How long a frame may stay incomplete before the connection is closed (slow-loris guard).
        public var incompleteFrameTimeout: TimeAmount = .seconds(30)
        /// Outbound bytes queued on the socket above which the connection stops reading the
        /// peer's requests, until the queue drains below `outboundLowWaterMark`. A peer that
        /// sends requests and never reads the answers is thereby held to a bounded buffer.
        public var outboundHighWaterMark: Int = 4 * 1024 * 1024
        /// Bytes of queued answers below which a paused connection reads again.
        public var outboundLowWaterMark: Int = 1024 * 1024
        /// Timeout for calls that do not pass their own; nil waits indefinitely.
        public var defaultCallTimeout: Duration? = nil
        /// Where the connection logs what it refuses or loses.
        public var logger = Logger(label: "shoal.rpc")
        /// Hears +1 when the connection starts serving a request (a batch counts as one) and -1
        /// when it answered it: a load signal for whoever owns the process (the `shoal`
        /// executable's loop scheduling). Called on the connection's event loop or task; keep it cheap.
        public var onServing: (@Sendable (Int) -> Void)?

        /// Creates a `Configuration`.
        public init() {}

        /// Creates a `Configuration`.
        public init(
            maximumFrameLength: Int = 16 * 1024 * 1024,
            incompleteFrameTimeout: TimeAmount = .seconds(30),
            defaultCallTimeout: Duration? = nil,
            outboundHighWaterMark: Int = 4 * 1024 * 1024,
            outboundLowWaterMark: Int = 1024 * 1024,
            logger: Logger = Logger(label: "shoal.rpc")
        ) {
            self.outboundHighWaterMark = outboundHighWaterMark
            self.outboundLowWaterMark = outboundLowWaterMark
            self.maximumFrameLength = maximumFrameLength
            self.incompleteFrameTimeout = incompleteFrameTimeout
            self.defaultCallTimeout = defaultCallTimeout
            self.logger = logger
        }
    }
}

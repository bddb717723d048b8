import Logging
import NIOCore

extension RPCConnection {
    /// How a connection frames, times out and logs. The defaults are CONTRACT.md's.
    public struct Configuration: Sendable {
        /// Largest frame payload accepted or sent (CONTRACT.md: 16 MiB).
        public var maximumFrameLength: Int = 16 * 1024 * 1024
        /// How long a frame may stay incomplete before the connection is closed (slow-loris guard).
        public var incompleteFrameTimeout: TimeAmount = .seconds(30)
        /// Timeout for calls that do not pass their own; nil waits indefinitely.
        public var defaultCallTimeout: Duration? = nil
        public var logger = Logger(label: "shoal.rpc")

        public init() {}

        public init(
            maximumFrameLength: Int = 16 * 1024 * 1024,
            incompleteFrameTimeout: TimeAmount = .seconds(30),
            defaultCallTimeout: Duration? = nil,
            logger: Logger = Logger(label: "shoal.rpc")
        ) {
            self.maximumFrameLength = maximumFrameLength
            self.incompleteFrameTimeout = incompleteFrameTimeout
            self.defaultCallTimeout = defaultCallTimeout
            self.logger = logger
        }
    }
}

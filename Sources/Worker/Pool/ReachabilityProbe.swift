import NIOCore
import NIOPosix

/// A TCP connect to an instance before a request is forwarded to it: an instance that does
/// not accept within the timeout (dead, or black-holed) is evicted before any request is
/// sent, so retrying on a fresh instance can never run a handler twice.
package struct ReachabilityProbe: Sendable {
    package var timeout: Duration
    package var group: any EventLoopGroup

    package init(timeout: Duration = .milliseconds(1500), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.timeout = timeout
        self.group = group
    }

    package func isReachable(_ endpoint: Endpoint) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(timeout))
                .connect(host: endpoint.host, port: endpoint.port)
                .get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}

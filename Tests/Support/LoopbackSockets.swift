import Foundation

/// A loopback port that refuses connections and that nobody else can take while it lives:
/// bound, never listening. (A port merely released could be grabbed by a parallel test.)
package final class DeadPort: @unchecked Sendable {
    package let port: Int
    private var fd: Int32
    private let lock = NSLock()

    package init() {
        (fd, port) = boundLoopbackSocket()
    }

    package func close() {
        lock.withLock {
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    deinit { close() }
}

/// A TCP socket bound to 127.0.0.1 on a port the kernel picks: the descriptor and the port.
package func boundLoopbackSocket() -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = loopbackAddress(port: 0)
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return (fd, boundPort(fd))
}

/// 127.0.0.1:`port` as a socket address.
package func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return address
}

private func boundPort(_ fd: Int32) -> Int {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

import Logging
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Finds workers through a DNS name (a Kubernetes headless service, a compose service): each
/// address the name resolves to is a worker on `port`. Re-resolved every `interval`, so the
/// fleet follows the name as it scales; an address that drops out leaves the ring.
struct WorkersDNS: Sendable {
    let name: String
    let port: Int
    let interval: Duration
    let workers: WorkerDirectory
    let logger: Logger

    func run() async {
        var known: Set<String> = []
        while !Task.isCancelled {
            do {
                let addresses = try await NIOThreadPool.singleton.runIfActive { try Self.resolve(name) }
                let current = Set(addresses.map { "\($0):\(port)" })
                for address in addresses where !known.contains("\(address):\(port)") {
                    workers.add(host: address, port: port)
                }
                for gone in known.subtracting(current) {
                    logger.info("worker left the DNS name", metadata: ["address": "\(gone)"])
                    workers.remove(address: gone)
                }
                known = current
            } catch {
                logger.warning("could not resolve the workers' DNS name", metadata: ["name": "\(name)", "error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// The IPv4 and IPv6 addresses of `name` (blocking: run on a thread pool).
    static func resolve(_ name: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &result)
        guard status == 0 else { throw GatewayError(.noWorker, "getaddrinfo(\(name)): \(String(cString: gai_strerror(status)))") }
        defer { freeaddrinfo(result) }
        var addresses: [String] = []
        var cursor = result
        while let entry = cursor {
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 {
                let address = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !addresses.contains(address) { addresses.append(address) }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }
}

import Foundation
import Logging
import NIOPosix

/// A client of the Docker Engine API over its unix socket, on libcurl. Every transfer runs on
/// the client's own threads, never on Swift's cooperative pool.
package final class DockerEngine: Sendable {
    package struct Configuration: Sendable {
        /// `unix:///var/run/docker.sock`, or a bare socket path.
        package var host: String
        /// Transfers that may run at once (a wait or a pull holds one for its whole length).
        package var threads = 16

        package init(host: String = DockerEngine.defaultHost) {
            self.host = host
        }
    }

    /// `DOCKER_HOST` when it names a unix socket, else Docker's default socket.
    package static var defaultHost: String {
        ProcessInfo.processInfo.environment["DOCKER_HOST"].flatMap { $0.hasPrefix("unix://") ? $0 : nil } ?? "unix:///var/run/docker.sock"
    }

    package let socketPath: String
    /// The negotiated API version's path prefix (`/v1.41`).
    package let prefix: String
    private let threads: NIOThreadPool
    let logger = Logger(label: "shoal.docker")

    /// Connects: checks the socket and negotiates the API version (`GET /version`), so a
    /// missing or refusing engine is reported here, at start, and not at the first launch.
    package init(_ configuration: Configuration) async throws(DockerError) {
        guard configuration.host.hasPrefix("unix://") || configuration.host.hasPrefix("/") else {
            throw DockerError(.unreachable, "Docker host \(configuration.host): only unix:// sockets are supported")
        }
        let path = configuration.host.hasPrefix("unix://") ? String(configuration.host.dropFirst("unix://".count)) : configuration.host
        socketPath = path
        threads = NIOThreadPool(numberOfThreads: configuration.threads)
        threads.start()
        do {
            prefix = "/v" + (try await Self.negotiate(on: threads, socketPath: path))
        } catch {
            try? await threads.shutdownGracefully()
            throw error
        }
    }

    private static func negotiate(on threads: NIOThreadPool, socketPath: String) async throws(DockerError) -> String {
        let response = try await run(on: threads, socketPath: socketPath, EngineRequest("GET", "/version", timeout: .seconds(5)))
        guard response.status == 200,
            let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let version = object["ApiVersion"] as? String
        else {
            throw DockerError(.malformed, "GET /version answered \(response.status): \(response.message)")
        }
        return try APIVersion.negotiate(engine: version)
    }

    package func shutdown() async {
        try? await threads.shutdownGracefully()
    }

    /// One exchange, on the client's threads; an error status becomes DockerError with the
    /// engine's message.
    package func send(_ request: EngineRequest, accepting: Set<Int> = [200, 201, 204]) async throws(DockerError) -> EngineResponse {
        var request = request
        request.path = prefix + request.path
        let response = try await Self.run(on: threads, socketPath: socketPath, request)
        guard accepting.contains(response.status) else {
            throw DockerError(response.status == 404 ? .notFound : .engine, response.message, status: response.status)
        }
        return response
    }

    /// One exchange whose body is handed over as it arrives (a pull's progress lines).
    package func stream(_ request: EngineRequest, onChunk: @escaping @Sendable ([UInt8]) -> Void) async throws(DockerError) -> Int {
        var prefixed = request
        prefixed.path = prefix + request.path
        let request = prefixed
        let socketPath = socketPath
        do {
            return try await threads.runIfActive {
                try CurlTransfer.perform(socketPath: socketPath, request) { onChunk(Array($0)) }.status
            }
        } catch let error as DockerError {
            throw error
        } catch {
            throw DockerError(.unreachable, "the Docker client is shut down")
        }
    }

    private static func run(on threads: NIOThreadPool, socketPath: String, _ request: EngineRequest) async throws(DockerError) -> EngineResponse {
        do {
            return try await threads.runIfActive { try CurlTransfer.perform(socketPath: socketPath, request) }
        } catch let error as DockerError {
            throw error
        } catch {
            throw DockerError(.unreachable, "the Docker client is shut down")
        }
    }

    /// Whether an HTTP server answers at `host:port` (any status): an instance's emulator is
    /// listening, not just a port the engine published.
    package func answersHTTP(host: String, port: Int) async -> Bool {
        let request = EngineRequest("GET", "/", timeout: .milliseconds(500))
        let url = "http://\(host):\(port)/"
        return (try? await threads.runIfActive { try CurlTransfer.perform(url: url, socketPath: nil, request) })?.status ?? 0 > 0
    }

    /// Decodes an answer's JSON.
    package static func decode<T: Decodable>(_ type: T.Type, _ response: EngineResponse) throws(DockerError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(response.body))
        } catch {
            throw DockerError(.malformed, "the engine's answer could not be read as \(type): \(error)")
        }
    }

    package static func encode(_ value: some Encodable) -> [UInt8] {
        Array((try? JSONEncoder().encode(value)) ?? Data("{}".utf8))
    }

    /// Percent-encodes a query value.
    package static func query(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? value
    }
}

import ArgumentParser
import Foundation
import ShoalGateway

/// Options the gateway takes, shared by `shoal gateway` and `shoal up`.
struct GatewayOptions: ParsableArguments {
    @Option(name: .customLong("rpc-port"), help: "JSON-RPC port (0 picks a free one).") var rpcPort = 4570
    @Option(name: .customLong("http-port"), help: "HTTP port: AWS Lambda REST API and /metrics (0 picks a free one).") var httpPort = 4566
    @Option(name: .customLong("data-dir"), help: "Where the durable registry lives.") var dataDir = ".shoal"
    @Option(help: "Address the gateway listens on.") var host = "127.0.0.1"
    @Option(help: "Shared token for the workers (default: SHOAL_TOKEN).") var token: String?
    @Option(name: .customLong("invoke-grace"), help: "Seconds past a function's timeout before the gateway gives up on it.") var invokeGrace = 2.0
    @Option(name: .customLong("event-retries"), help: "Retries of a failed Event invocation (0...2, as AWS).") var eventRetries = 2

    func validate() throws {
        for port in [rpcPort, httpPort] where !(0...65_535).contains(port) {
            throw ValidationError("ports must be 0...65535")
        }
        guard invokeGrace >= 0 else { throw ValidationError("--invoke-grace must not be negative") }
        guard (0...2).contains(eventRetries) else { throw ValidationError("--event-retries must be 0, 1 or 2") }
    }

    func configuration() -> Gateway.Configuration {
        var configuration = Gateway.Configuration(dataDirectory: URL(fileURLWithPath: dataDir).appendingPathComponent("registry").path)
        configuration.host = host
        configuration.rpcPort = rpcPort
        configuration.httpPort = httpPort
        configuration.directory.token = token ?? ProcessInfo.processInfo.environment["SHOAL_TOKEN"]
        configuration.invokeGrace = .milliseconds(Int(invokeGrace * 1000))
        configuration.eventRetries = eventRetries
        configuration.rpc.onServing = ServingLoad.changed
        return configuration
    }

    /// "HOST:PORT" into its parts.
    static func hostPort(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port) else {
            throw ValidationError("expected HOST:PORT, got \(text)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}

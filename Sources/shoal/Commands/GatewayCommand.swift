import ArgumentParser
import Foundation
import Logging
import ShoalGateway
import ShoalRIE

/// `shoal gateway`: the gateway alone, over workers started elsewhere.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run the gateway alone: registry, routing over --worker and --workers-dns workers, timeouts, stream relay."
    )

    @OptionGroup var options: GatewayOptions
    @Option(name: .customLong("worker"), help: "A worker's HOST:PORT (repeatable).") var workers: [String] = []
    @Option(name: .customLong("workers-dns"), help: "NAME:PORT: every address NAME resolves to is a worker on PORT (re-resolved every 5 s).")
    var workersDNS: String?

    func validate() throws {
        guard !workers.isEmpty || workersDNS != nil else { throw ValidationError("name workers with --worker HOST:PORT or --workers-dns NAME:PORT") }
        for worker in workers { _ = try GatewayOptions.hostPort(worker) }
        if let workersDNS { _ = try GatewayOptions.hostPort(workersDNS) }
    }

    func run() async throws {
        try await LoopScheduling.start(.fromEnvironment())
        var configuration = options.configuration()
        configuration.workers = try workers.map(GatewayOptions.hostPort)
        configuration.workersDNS = try workersDNS.map { try GatewayOptions.hostPort($0) }.map { (name: $0.host, port: $0.port) }
        let gateway = try await Gateway.start(configuration)
        let joined = await gateway.workers.waitUntilUp(configuration.workers.count, timeout: .seconds(10))
        let logger = Logger(label: "shoal.gateway")
        if !joined { logger.warning("not every named worker is up yet; serving with those that are") }
        try await CommandLifecycle.serve(
            readyLine:
                "shoal gateway rpc \(configuration.host):\(gateway.rpcPort) http \(configuration.host):\(gateway.httpPort) workers \(gateway.workers.upCount) ready",
            parts: [
                StoppedPart("gateway") {
                    logger.info("shutting down")
                    await gateway.shutdown()
                }
            ], logger: logger)
    }
}

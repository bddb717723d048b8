import ArgumentParser
import Foundation
import Logging
import ShoalGateway
import ShoalRIE

/// `shoal up`: the embedded default, a gateway plus N local worker processes.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run a gateway plus N local worker processes on 127.0.0.1."
    )

    @OptionGroup var options: GatewayOptions
    @Option(help: "Number of local worker processes.") var workers = 2
    @Option(help: "Instance backend: process, docker, or scripted (loopback HTTP instances with no runtime, for tests and benchmarks).") var backend =
        "process"
    @Option(name: .customLong("max-concurrency"), help: "Per-function instance cap on each worker.") var maxConcurrency = 10
    @Option(name: .customLong("idle-ttl"), help: "Seconds an idle instance is kept.") var idleTTL = 300.0
    @Option(name: .customLong("max-queue-wait"), help: "Seconds a call may wait for an instance before TooManyRequestsException (QueueWaitExceeded).")
    var maxQueueWait = 30.0
    @Option(
        name: .customLong("docker-host"),
        help: "With --backend docker: the engine's socket, unix:// (default: DOCKER_HOST, else /var/run/docker.sock).")
    var dockerHost: String?
    @Option(name: .customLong("runtime-image"), help: "With --backend docker: RUNTIME=IMAGE, the image zip functions of RUNTIME run on. Repeatable.")
    var runtimeImages: [String] = []
    @Option(help: "With --backend docker: pull images the engine does not have (missing), or fail at once (never).") var pull = "missing"
    @Option(name: .customLong("docker-emulator"), help: "With --backend docker: auto, shoal (shoal rie) or image (the image's aws-lambda-rie).")
    var dockerEmulator = "auto"
    @OptionGroup var pythonOptions: PythonOptions

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard ["process", "docker", "scripted"].contains(backend) else { throw ValidationError("--backend must be process, docker or scripted") }
        guard maxConcurrency >= 1 else { throw ValidationError("--max-concurrency must be at least 1") }
        guard maxQueueWait > 0 else { throw ValidationError("--max-queue-wait must be positive") }
        guard ["missing", "never"].contains(pull) else { throw ValidationError("--pull must be missing or never") }
        guard ["auto", "shoal", "image"].contains(dockerEmulator) else { throw ValidationError("--docker-emulator must be auto, shoal or image") }
    }

    func run() async throws {
        try await LoopScheduling.start(.fromEnvironment())
        let logger = Logger(label: "shoal.up")
        let dataDirectory = URL(fileURLWithPath: options.dataDir).standardizedFileURL.path
        var workerArguments: [String] =
            [
                "--backend", backend, "--max-concurrency", String(maxConcurrency), "--idle-ttl", String(idleTTL),
                "--max-queue-wait", String(maxQueueWait), "--pull", pull, "--docker-emulator", dockerEmulator,
            ] + pythonOptions.workerArguments
        if let dockerHost { workerArguments += ["--docker-host", dockerHost] }
        workerArguments += runtimeImages.flatMap { ["--runtime-image", $0] }
        // The workers' port is for this gateway alone: a token the workers get through their
        // environment (a command line is visible to every local user in `ps`).
        var configuration = options.configuration()
        let token = configuration.directory.token ?? Self.randomToken()
        configuration.directory.token = token
        let local = LocalWorkers(environment: ["SHOAL_TOKEN": token]) { [workerArguments] id, port in
            ["worker", "--port", String(port), "--worker-id", id, "--data-dir", "\(dataDirectory)/workers/\(id)"] + workerArguments
        }
        do {
            try await local.start(count: workers)
        } catch {
            await local.stop()
            throw error
        }
        configuration.workers = local.ports.map { (host: "127.0.0.1", port: $0) }
        let gateway: Gateway
        do {
            gateway = try await Gateway.start(configuration)
        } catch {
            await local.stop()
            throw error
        }
        guard await gateway.workers.waitUntilUp(workers, timeout: .seconds(30)) else {
            await gateway.shutdown()
            await local.stop()
            throw CommandError(.notReady, "the workers did not all join the gateway")
        }
        try await CommandLifecycle.serve(
            readyLine:
                "shoal up rpc \(configuration.host):\(gateway.rpcPort) http \(configuration.host):\(gateway.httpPort) workers \(workers) backend \(backend) ready",
            parts: [
                StoppedPart("workers") {
                    await local.stop()
                    logger.info("stopped")
                },
                StoppedPart("gateway") {
                    logger.info("shutting down: draining calls in flight, then stopping the workers")
                    await gateway.shutdown()
                },
            ], logger: logger)
    }

    /// 32 random bytes as hex, from the system's generator.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

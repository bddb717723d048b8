import ArgumentParser
import Foundation
import Logging
import ShoalProtocol
import ShoalRIE
import ShoalWorker

/// `shoal worker`: one worker process, serving the internal JSON-RPC API.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run one worker: warm pools, concurrency cap, probe and retry, instance backend."
    )

    @Option(help: "Port to listen on (0 picks a free one; the chosen port is printed).") var port: Int
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Instance backend: process, docker, or scripted (loopback HTTP instances with no runtime, for tests and benchmarks).")
    var backend = "process"
    @OptionGroup var pythonOptions: PythonOptions
    @Option(help: "Node interpreter for nodejs functions (default: node on PATH).") var node: String?
    @Option(name: .customLong("max-concurrency"), help: "Per-function instance cap (default: SHOAL_MAX_CONCURRENCY or 10).")
    var maxConcurrency: Int?
    @Option(
        help:
            "Shared token the gateway must present (default: SHOAL_TOKEN, which keeps it out of `ps`). Required unless --host is a loopback address.")
    var token: String?
    @Option(
        name: .customLong("data-dir"), help: "Where code and layers are kept (default: a fresh temporary directory, removed when the worker stops).")
    var dataDir: String?
    @Option(name: .customLong("idle-ttl"), help: "Seconds an idle instance is kept.") var idleTTL = 300.0
    @Option(
        name: .customLong("max-queue-wait"),
        help:
            "Seconds a call may wait for an instance (function at its cap, cold start under way) before TooManyRequestsException (QueueWaitExceeded); it then ran nowhere."
    )
    var maxQueueWait = 30.0
    @Option(name: .customLong("reap-interval"), help: "Seconds between sweeps for idle instances.") var reapInterval = 30.0
    @Option(
        name: .customLong("probe-freshness"),
        help: "Seconds after a completed invocation during which an instance is not probed again before a forward (0 probes every forward).")
    var probeFreshness = 1.0
    @Option(
        name: .customLong("worker-id"),
        help:
            "Name shown to the gateway (default: worker-PID); the docker backend labels its containers with it and removes those an earlier run left."
    )
    var workerID: String?
    @Option(name: .customLong("docker-host"), help: "The Docker engine's socket, unix:// (default: DOCKER_HOST, else unix:///var/run/docker.sock).")
    var dockerHost: String?
    @Option(
        name: .customLong("runtime-image"),
        help: "RUNTIME=IMAGE: the image zip functions of RUNTIME run on with --backend docker (default: AWS's base image for it). Repeatable.")
    var runtimeImages: [String] = []
    @Option(
        name: .customLong("docker-network"),
        help: "A user-defined Docker network for instances, reached by address (for a worker in a container); default: a port published on 127.0.0.1."
    )
    var dockerNetwork: String?
    @Option(help: "With --backend docker: pull images the engine does not have (missing), or fail at once (never).") var pull = "missing"
    @Option(
        name: .customLong("docker-emulator"),
        help: "With --backend docker: what fronts the runtime: auto (shoal rie where it can run, else the image's aws-lambda-rie), shoal, image.")
    var dockerEmulator = "auto"

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        if let maxConcurrency, maxConcurrency < 1 { throw ValidationError("--max-concurrency must be at least 1") }
        guard idleTTL > 0, reapInterval > 0 else { throw ValidationError("--idle-ttl and --reap-interval must be positive") }
        guard maxQueueWait > 0 else { throw ValidationError("--max-queue-wait must be positive") }
        guard probeFreshness >= 0 else { throw ValidationError("--probe-freshness must not be negative") }
        guard ["missing", "never"].contains(pull) else { throw ValidationError("--pull must be missing or never") }
        guard ["auto", "shoal", "image"].contains(dockerEmulator) else { throw ValidationError("--docker-emulator must be auto, shoal or image") }
        for option in runtimeImages where RuntimeImages.parse(option) == nil {
            throw ValidationError("--runtime-image takes RUNTIME=IMAGE, not \(option)")
        }
    }

    /// Whether `host` is only reachable from this machine.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    func run() async throws {
        try await LoopScheduling.start(.fromEnvironment())
        let environment = ProcessInfo.processInfo.environment
        let cap =
            try maxConcurrency ?? environment["SHOAL_MAX_CONCURRENCY"].map { value in
                guard let cap = Int(value), cap >= 1 else { throw ValidationError("SHOAL_MAX_CONCURRENCY must be a positive integer") }
                return cap
            } ?? 10
        let token = token ?? environment["SHOAL_TOKEN"]
        // Anyone who reaches the worker's port can deploy code and run it as this user.
        guard token != nil || Self.isLoopback(host) else {
            throw ValidationError(
                "a worker listening on \(host) needs a token (SHOAL_TOKEN or --token): without one, anyone who reaches the port can run code here")
        }
        let dataDirectory = WorkerDataDirectory(path: dataDir)
        let directory = dataDirectory.url
        let artifacts = try ArtifactStore(directory: directory.appendingPathComponent("artifacts"))
        let instanceBackend: any InstanceBackend
        // Unique by default (a container's hostname is its id, and every container's PID is 1);
        // stable only when given (a StatefulSet's pod name, a Swarm task slot).
        // SHOAL_WORKER_ID with a template the orchestrator did not expand (compose outside a
        // Swarm leaves `{{.Task.Slot}}` as it is) counts as unset.
        let id =
            workerID ?? environment["SHOAL_WORKER_ID"].flatMap { $0.contains("{{") ? nil : $0 }
            ?? "worker-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        switch backend {
        case "scripted":
            instanceBackend = ScriptedBackend(group: try await ScriptedBackend.ownThread())
        case "process":
            var configuration = ProcessBackend.Configuration(
                dataDirectory: directory, shoalExecutable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            )
            pythonOptions.apply(to: &configuration)
            configuration.nodeExecutable = node
            instanceBackend = try ProcessBackend(configuration: configuration, artifacts: artifacts)
        case "docker":
            var configuration = DockerBackend.Configuration(
                workerID: id, dataDirectory: directory, shoalExecutable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path)
            configuration.dockerHost = dockerHost ?? configuration.dockerHost
            configuration.runtimeImages = Dictionary(runtimeImages.compactMap(RuntimeImages.parse)) { _, last in last }
            configuration.network = dockerNetwork
            configuration.pullsMissingImages = pull == "missing"
            configuration.emulator = dockerEmulator
            instanceBackend = try await DockerBackend.start(configuration, artifacts: artifacts)
        default:
            throw ValidationError("--backend must be process, docker or scripted")
        }
        var poolConfiguration = WarmPoolManager.Configuration()
        poolConfiguration.pool = .init(maxInstances: cap)
        poolConfiguration.idleTTL = .milliseconds(Int(idleTTL * 1000))
        poolConfiguration.reapInterval = .milliseconds(Int(reapInterval * 1000))
        poolConfiguration.probeFreshness = .milliseconds(Int(probeFreshness * 1000))
        poolConfiguration.maxQueueWait = .milliseconds(Int(maxQueueWait * 1000))
        let invoker = InstanceClient()
        let pools = WarmPoolManager(backend: instanceBackend, invoker: invoker, configuration: poolConfiguration)
        await pools.startReaper()
        // Connections on the pools' loop: a warm invoke's task, the pools' actor and the
        // instance connections then share one thread.
        var connection = RPCConnection.Configuration()
        connection.onServing = ServingLoad.changed
        let server = try await RPCServer.bind(
            host: host, port: port,
            methods: WorkerService(
                configuration: .init(
                    workerID: id,
                    token: token
                ),
                pools: pools, artifacts: artifacts, backend: instanceBackend
            ).methods, configuration: connection, group: pools.eventLoop)
        try await CommandLifecycle.serve(
            readyLine: "shoal worker listening on \(host):\(server.port) backend \(instanceBackend.name) max-concurrency \(cap) ready",
            parts: [
                StoppedPart("data directory") { dataDirectory.removeIfOwned() },
                StoppedPart("instance client") { await invoker.shutdown() },
                StoppedPart("instances") { await instanceBackend.terminateAll() },
                StoppedPart("warm pools") { await pools.shutdown() },
                StoppedPart("rpc server") {
                    Logger(label: "shoal.worker").info("shutting down")
                    await server.close()
                },
            ], logger: Logger(label: "shoal.worker"))
    }
}

import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import ShoalExecutor
import ShoalProtocol

/// `shoal-bench ...`: measurements whose figures go into the README. An executable of its own,
/// so the `shoal` users run carries no benchmark code; it starts the `shoal` built beside it
/// for the gateways, workers and fleets it measures.
@main
struct ShoalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoal-bench",
        abstract: "Run a benchmark and print its figures.",
        subcommands: [
            RPCBenchCommand.self, WorkerBenchCommand.self, GatewayBenchCommand.self, RuntimeBenchCommand.self, UnpackBenchCommand.self,
            SoakBenchCommand.self, RESTBenchCommand.self, DockerBenchCommand.self, ColdBenchCommand.self, EchoServerCommand.self,
        ]
    )

    /// Tasks on NIO's loops, as in `shoal` itself (`LoopGlobalExecutor`), so the client side of
    /// every measurement runs as it did when the benchmarks were `shoal-bench`.
    static func main() async {
        if !LoopGlobalExecutor.install() {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

struct UnpackBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpack",
        abstract: "Unpacking a zip of many small files, against `unzip -q` on the same zip (needs python3 and unzip)."
    )

    @Option(help: "Entries in the zip.") var entries = 100_000
    @Option(help: "Rounds; each times unzip, then Shoal.") var repeats = 3
    @Option(help: "Directory both unpack into (default: the temporary directory).") var directory: String?

    func run() throws {
        guard entries > 0, repeats > 0 else { throw ValidationError("--entries and --repeats must be positive") }
        let directory = directory.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
        print(try UnpackBenchmark(entries: entries, repeats: repeats, directory: directory).run())
    }
}

struct SoakBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Warm invocations through `shoal up` for a long time: memory of each process and latency percentiles over time."
    )

    @Option(help: "Seconds to run.") var seconds = 1200.0
    @Option(help: "Concurrent callers.") var callers = 8
    @Option(help: "Python functions the callers take turns on.") var functions = 4
    @Option(name: .customLong("sample-every"), help: "Seconds between memory samples.") var sampleEvery = 60.0

    func run() async throws {
        guard seconds > 0, callers > 0, functions > 0, sampleEvery > 0 else {
            throw ValidationError("--seconds, --callers, --functions and --sample-every must be positive")
        }
        let benchmark = SoakBenchmark(
            duration: .milliseconds(Int(seconds * 1000)), callers: callers, functions: functions,
            sampleEvery: .milliseconds(Int(sampleEvery * 1000)))
        print(try await benchmark.run())
    }
}

struct RPCBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Round trips per second and latency of small JSON-RPC calls over one loopback connection to a server process."
    )

    @Option(help: "Comma-separated numbers of concurrent callers.") var callers = "1,64"
    @Option(help: "Seconds to measure at each level (after a one-second warm-up).") var seconds = 5.0
    @Option(help: "How many times to repeat each level; the README reports every repetition.") var repeats = 3

    func run() async throws {
        guard let levels = callerLevels(callers), levels.allSatisfy({ $0 > 0 }), repeats > 0, seconds > 0 else {
            throw ValidationError("--callers takes positive integers, e.g. 1,64; --repeats a positive integer; --seconds a positive number")
        }
        let benchmark = RPCBenchmark(duration: .milliseconds(Int(seconds * 1000)), repeats: repeats)
        print(IdleSetting.describe())
        print(try await benchmark.run(callerLevels: levels))
    }
}

/// The server side of `shoal-bench rpc`, run as a child process so that the client and the
/// server do not share event loops (as the gateway and workers will not).
struct EchoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Serve the benchmark's echo method until terminated.",
        shouldDisplay: false
    )

    @Option(help: "Port on 127.0.0.1.") var port: Int

    func run() async throws {
        let server = try await RPCServer.bind(host: "127.0.0.1", port: port, methods: RPCBenchmark.methods)
        FileHandle.standardOutput.write(Data("echo server listening on 127.0.0.1:\(server.port) ready\n".utf8))
        try await server.closeFuture.get()
    }
}

struct WorkerBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Worker overhead per warm invocation: JSON-RPC through a worker process vs a direct HTTP POST to the same instance."
    )

    @Option(help: "Invocations per phase and run.") var invocations = 20_000
    @Option(help: "How many times to repeat both phases.") var repeats = 3
    @Option(help: "Payload size in bytes: a JSON string, so at least 2.") var payloadBytes = 64
    @Option(name: .customLong("probe-freshness"), help: "Passed to the worker: 0 probes before every forward.")
    var probeFreshness = 1.0

    func run() async throws {
        guard invocations > 0, repeats > 0, payloadBytes >= 2, probeFreshness >= 0 else {
            throw ValidationError("--invocations and --repeats must be positive, --payload-bytes at least 2")
        }
        let benchmark = WorkerBenchmark(invocations: invocations, repeats: repeats, payloadBytes: payloadBytes, probeFreshness: probeFreshness)
        print(IdleSetting.describe())
        print(try await benchmark.run())
    }
}

struct RuntimeBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtimes",
        abstract: "Cold start and warm invokes of real runtimes on the process backend, direct at the RIE and through the worker."
    )

    @Option(help: "Cold starts per runtime.") var cold = 20
    @Option(help: "Warm invokes per path (a multiple of 100).") var warm = 2_000
    @Option(help: "A Python interpreter that can import awslambdaric (adds the awslambdaric row).") var python: String?

    func run() async throws {
        guard cold > 0, warm >= 200 else { throw ValidationError("--cold must be positive and --warm at least 200") }
        print(IdleSetting.describe())
        print(try await RuntimeBenchmark(cold: cold, warm: warm, python: python).run())
    }
}

struct DockerBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docker",
        abstract:
            "The Docker backend against the process backend: cold start, warm invoke and a burst of fresh functions (needs a Docker engine and the image)."
    )

    @Option(help: "Cold starts per backend.") var cold = 10
    @Option(help: "Warm invokes per backend (a multiple of 100).") var warm = 1_000
    @Option(help: "Fresh functions invoked at once.") var burst = 20
    @Option(help: "The functions' memory size (1769 MB is one vCPU).") var memory = 1769
    @Option(help: "The image python3.12 zip functions run on.") var image = "shoal-test/python:3.11"
    @Option(help: "A Python interpreter that can import awslambdaric, for the process backend.") var python: String?

    func run() async throws {
        guard cold > 0, warm >= 200, burst > 0 else { throw ValidationError("--cold and --burst must be positive and --warm at least 200") }
        print(IdleSetting.describe())
        print(try await DockerBenchmark(cold: cold, warm: warm, burst: burst, memoryMB: memory, image: image, python: python).run())
    }
}

struct RESTBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rest",
        abstract: "The REST Invoke against the JSON-RPC invoke and direct to the instance: latency, throughput, the gateway's CPU per call."
    )

    @Option(help: "Invocations per path, taken in alternating blocks.") var invocations = 20_000
    @Option(help: "Comma-separated numbers of concurrent callers.") var callers = "1,16,64"
    @Option(help: "Payload size in bytes: a JSON string, so at least 2.") var payloadBytes = 64

    func run() async throws {
        let levels = callers.split(separator: ",").compactMap { Int($0) }
        guard !levels.isEmpty, levels.allSatisfy({ $0 > 0 }), invocations > 0, payloadBytes >= 2 else {
            throw ValidationError("--callers must be positive numbers, --invocations positive, --payload-bytes at least 2")
        }
        print(try await RESTBenchmark(invocations: invocations, callerLevels: levels, payloadBytes: payloadBytes).run())
    }
}

struct GatewayBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Warm invokes through gateway and worker vs direct to the instance: latency, throughput at 1/16/64 callers, CPU per invocation."
    )

    @Option(help: "Invocations per path (direct and through the gateway), taken in alternating blocks.") var invocations = 20_000
    @Option(help: "Comma-separated numbers of concurrent callers.") var callers = "1,16,64"
    @Option(help: "Payload size in bytes: a JSON string, so at least 2.") var payloadBytes = 64
    @Option(help: "Measurements per caller level; the summary gives their medians.") var repeats = 1

    func run() async throws {
        guard let levels = callerLevels(callers), invocations > 0, levels.allSatisfy({ $0 > 0 && $0 <= 64 }), payloadBytes >= 2, repeats >= 1 else {
            throw ValidationError("--invocations and --repeats must be positive; --callers takes integers 1...64; --payload-bytes at least 2")
        }
        print(IdleSetting.describe())
        print(try await GatewayBenchmark(invocations: invocations, callerLevels: levels, payloadBytes: payloadBytes, repeats: repeats).run())
    }
}

/// The levels of a `--callers` list such as "1,16,64"; nil if it is empty or any item is not an
/// integer, so that a typo is refused rather than silently measured without.
private func callerLevels(_ text: String) -> [Int]? {
    let levels = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !levels.isEmpty, levels.allSatisfy({ $0 != nil }) else { return nil }
    return levels.compactMap { $0 }
}

struct ColdBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cold",
        abstract: "A burst of Python cold starts through `shoal up`, fork server on and off: starts per second, CPU, latency, memory."
    )

    @Option(help: "Python functions, each invoked once.") var functions = 200
    @Option(help: "Concurrent callers: a comma-separated list, one burst each.") var callers = "1,8,32"
    @Option(help: "Python interpreter for the functions (default: the workers' choice on PATH).") var python: String?
    @Option(name: .customLong("python-client"), help: "auto, awslambdaric or bundled.") var pythonClient = "auto"
    @Option(name: .customLong("fork-server"), help: "The settings to compare, in order: on,off, or one of them.") var forkServer = "on,off"

    func run() async throws {
        let modes = forkServer.split(separator: ",").map(String.init)
        guard !modes.isEmpty, modes.allSatisfy({ ["on", "off"].contains($0) }) else { throw ValidationError("--fork-server must list on and/or off") }
        guard functions > 0, let counts = callerLevels(callers), counts.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--functions must be positive and --callers a list of positive counts")
        }
        print(IdleSetting.describe())
        let report = try await ColdBenchmark(functions: functions, callers: counts, python: python, pythonClient: pythonClient, modes: modes).run()
        print(report)
    }
}

import ArgumentParser

/// `shoal bench ...`: measurements whose figures go into the README.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark and print its figures.",
        subcommands: [RPCBenchCommand.self]
    )
}

struct RPCBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Round trips per second and latency of small JSON-RPC calls over one loopback connection."
    )

    @Option(help: "Comma-separated numbers of concurrent callers.") var callers = "1,64"
    @Option(help: "Seconds to measure at each level (after a one-second warm-up).") var seconds = 5.0

    func run() async throws {
        let levels = callers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !levels.isEmpty, levels.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--callers takes positive integers, e.g. 1,64")
        }
        let report = try await RPCBenchmark(duration: .milliseconds(Int(seconds * 1000))).run(callerLevels: levels)
        print(report)
    }
}

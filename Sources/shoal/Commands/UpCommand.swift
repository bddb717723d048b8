import ArgumentParser

/// `shoal up`: the embedded default, a gateway plus N local workers.
///
/// The gateway lands in a later issue (workers run on their own: `shoal worker`); until then this prints the plan it will carry
/// out, so the README's run command already works and says plainly what is not there yet.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run a gateway plus N local worker processes on 127.0.0.1."
    )

    @Option(help: "Number of local worker processes.") var workers = 2
    @Option(name: .customLong("rpc-port"), help: "JSON-RPC port.") var rpcPort = 4570
    @Option(name: .customLong("http-port"), help: "HTTP port (AWS Lambda REST API, metrics).") var httpPort = 4566
    @Option(name: .customLong("data-dir"), help: "Where the gateway keeps its durable registry.") var dataDir = ".shoal"
    @Option(help: "Instance backend: process or docker.") var backend = "process"

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard ["process", "docker"].contains(backend) else { throw ValidationError("--backend must be process or docker") }
    }

    func run() async throws {
        print("""
        shoal up (plan; the gateway is not built yet, so nothing is started; `shoal worker` runs a worker alone):
          gateway: JSON-RPC on 127.0.0.1:\(rpcPort), HTTP on 127.0.0.1:\(httpPort), data in \(dataDir)
          workers: \(workers) local processes, backend \(backend)
        nothing was started.
        """)
    }
}

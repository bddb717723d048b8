import ArgumentParser
import ShoalWorker

/// How a worker runs Python functions, shared by `shoal worker` and `shoal up` (which passes
/// them on to its workers).
struct PythonOptions: ParsableArguments {
    @Option(help: "Python interpreter for python3.x functions (default: python3.X, else python3, on PATH).") var python: String?
    @Option(name: .customLong("python-client"), help: "Python runtime client: auto (awslambdaric when importable), awslambdaric, bundled.")
    var pythonClient = "auto"
    @Option(
        name: .customLong("python-fork-server"),
        help: "on: Python runtimes are forked from a warm interpreter (docs/fork-server.md); off: each starts a fresh interpreter.")
    var pythonForkServer = "on"

    func validate() throws {
        guard ["auto", "awslambdaric", "bundled"].contains(pythonClient) else {
            throw ValidationError("--python-client must be auto, awslambdaric or bundled")
        }
        guard ["on", "off"].contains(pythonForkServer) else { throw ValidationError("--python-fork-server must be on or off") }
    }

    /// The same options on a worker's command line.
    var workerArguments: [String] {
        ["--python-client", pythonClient, "--python-fork-server", pythonForkServer] + (python.map { ["--python", $0] } ?? [])
    }

    func apply(to configuration: inout ProcessBackend.Configuration) {
        configuration.pythonExecutable = python
        configuration.pythonClient = pythonClient
        configuration.pythonForkServer = pythonForkServer == "on"
    }
}

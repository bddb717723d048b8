import ArgumentParser
import Foundation
import Logging
import ShoalRuntimeInterface

/// `shoal rie`: the runtime interface emulator for one function instance. The process
/// backend starts one per instance; a container image can use it as its entrypoint.
package struct RIECommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "rie",
        abstract: "Front one function instance: the invoke endpoint, and the Lambda Runtime API for the runtime it starts."
    )

    @Option(help: "Invoke port (0 picks a free one; the chosen port is printed).") var port = 8080
    @Option(help: "Address for the invoke port.") var host = "127.0.0.1"
    @Option(name: .customLong("runtime-api-port"), help: "Runtime API port on 127.0.0.1 (0 picks a free one).") var runtimeAPIPort = 0
    @Option(help: "Function timeout in seconds (default: AWS_LAMBDA_FUNCTION_TIMEOUT or 3).") var timeout: Double?
    @Option(help: "Memory size in MB (default: AWS_LAMBDA_FUNCTION_MEMORY_SIZE or 128).") var memory: Int?
    @Option(name: .customLong("function-name"), help: "Default: AWS_LAMBDA_FUNCTION_NAME or \"function\".") var functionName: String?
    @Option(name: .customLong("working-directory"), help: "Runtime working directory (default: LAMBDA_TASK_ROOT or the current one).")
    var workingDirectory: String?
    @Option(
        name: .customLong("memory-cgroup"),
        help: "A cgroup directory the runtime joins (its memory.limit_in_bytes set by the caller); without one, RLIMIT_DATA is set to --memory.")
    var memoryCgroup: String?
    @Option(name: .customLong("limit-memory"), help: "Apply the memory size as a limit (true/false).") var limitMemory = false
    @Option(
        name: .customLong("fork-server"),
        help: "A worker's Python fork server (unix socket) to ask for the runtime; the command is spawned if it does not start it.")
    var forkServer: String?
    @Flag(
        name: .customLong("init-at-start"),
        help: "Start the runtime (its init) at once instead of at the first invoke: a worker launching an instance for a waiting call.")
    var initAtStart = false
    @Argument(
        parsing: .captureForPassthrough,
        help: "The runtime command; default: the first bootstrap found in LAMBDA_TASK_ROOT, /var/task, /opt, /var/runtime.")
    var command: [String] = []

    package init() {}

    package func run() async throws {
        try await settings.run()
    }

    /// The options as read.
    package var settings: RIESettings {
        RIESettings(
            port: port, host: host, runtimeAPIPort: runtimeAPIPort, timeout: timeout, memory: memory, functionName: functionName,
            workingDirectory: workingDirectory, memoryCgroup: memoryCgroup, limitMemory: limitMemory, forkServer: forkServer,
            initAtStart: initAtStart, command: command.first == "--" ? Array(command.dropFirst()) : command)
    }
}

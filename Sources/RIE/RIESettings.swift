import ArgumentParser
import Foundation
import Logging
import ShoalRuntimeInterface

/// What `shoal rie` runs with, however its command line was read: by ArgumentParser
/// (`RIECommand`), or by `init?(workerArguments:)` for the command line a worker gives it.
package struct RIESettings: Sendable, Equatable {
    package var port = 8080
    package var host = "127.0.0.1"
    package var runtimeAPIPort = 0
    package var timeout: Double?
    package var memory: Int?
    package var functionName: String?
    package var workingDirectory: String?
    package var memoryCgroup: String?
    package var limitMemory = false
    package var forkServer: String?
    package var initAtStart = false
    /// The runtime command (after `--`).
    package var command: [String] = []

    package init(
        port: Int = 8080, host: String = "127.0.0.1", runtimeAPIPort: Int = 0, timeout: Double? = nil, memory: Int? = nil,
        functionName: String? = nil, workingDirectory: String? = nil, memoryCgroup: String? = nil, limitMemory: Bool = false,
        forkServer: String? = nil, initAtStart: Bool = false, command: [String] = []
    ) {
        self.port = port
        self.host = host
        self.runtimeAPIPort = runtimeAPIPort
        self.timeout = timeout
        self.memory = memory
        self.functionName = functionName
        self.workingDirectory = workingDirectory
        self.memoryCgroup = memoryCgroup
        self.limitMemory = limitMemory
        self.forkServer = forkServer
        self.initAtStart = initAtStart
        self.command = command
    }

    /// Reads the command line a worker gives `shoal-rie` (`--name value` options and the
    /// `--init-at-start` flag, then `--` and the runtime command) without ArgumentParser, whose
    /// parse took 13% of the emulator's start-up CPU (docs/performance-log.md, twenty-first
    /// round), on every cold start. Nil for anything else (`--help`, an unknown or repeated
    /// option, a value that does not read, no `--`): that goes to
    /// ArgumentParser, with its messages. `RIESettingsTests` holds both readers to one answer.
    package init?(workerArguments arguments: [String]) {
        self.init()
        var seen: Set<String> = []
        var index = 0
        while index < arguments.count {
            var name = arguments[index]
            if name == "--" {
                command = Array(arguments[(index + 1)...])
                return
            }
            if name == "--init-at-start" {
                guard seen.insert(name).inserted else { return nil }
                initAtStart = true
                index += 1
                continue
            }
            // `--name=value` (a value may start with "-", as a function name may), or `--name value`.
            let value: String
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
                index += 1
            } else {
                guard index + 1 < arguments.count, !arguments[index + 1].hasPrefix("-") else { return nil }
                value = arguments[index + 1]
                index += 2
            }
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "--port":
                guard let number = Int(value) else { return nil }
                port = number
            case "--host": host = value
            case "--runtime-api-port":
                guard let number = Int(value) else { return nil }
                runtimeAPIPort = number
            case "--timeout":
                guard let number = Double(value) else { return nil }
                timeout = number
            case "--memory":
                guard let number = Int(value) else { return nil }
                memory = number
            case "--function-name": functionName = value
            case "--working-directory": workingDirectory = value
            case "--memory-cgroup": memoryCgroup = value
            case "--limit-memory":
                guard let flag = Bool(value) else { return nil }
                limitMemory = flag
            case "--fork-server": forkServer = value
            default: return nil
            }
        }
        return nil
    }

    /// The command line a worker gives the emulator for these settings: the one form
    /// `init?(workerArguments:)` reads (`--name=value`, as a function name may start with "-";
    /// defaults left out), so both backends keep to the fast reader.
    package var workerArguments: [String] {
        let defaults = RIESettings()
        var arguments: [String] = []
        func option(_ name: String, _ value: String?) { if let value { arguments.append("--\(name)=\(value)") } }
        option("port", port == defaults.port ? nil : String(port))
        option("host", host == defaults.host ? nil : host)
        option("runtime-api-port", runtimeAPIPort == defaults.runtimeAPIPort ? nil : String(runtimeAPIPort))
        option("timeout", timeout.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int($0)) : String($0) })
        option("memory", memory.map(String.init))
        option("function-name", functionName)
        option("working-directory", workingDirectory)
        option("memory-cgroup", memoryCgroup)
        option("limit-memory", limitMemory ? "true" : nil)
        option("fork-server", forkServer)
        if initAtStart { arguments.append("--init-at-start") }
        return arguments + ["--"] + command
    }

    package func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var configuration = InvocationBroker.Configuration()
        configuration.functionName = functionName ?? environment["AWS_LAMBDA_FUNCTION_NAME"] ?? "function"
        configuration.memoryMB = memory ?? environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"].flatMap(Int.init) ?? 128
        let seconds = timeout ?? environment["AWS_LAMBDA_FUNCTION_TIMEOUT"].flatMap(Double.init) ?? 3
        guard seconds > 0 else { throw ValidationError("--timeout must be positive") }
        configuration.timeout = .milliseconds(Int(seconds * 1000))
        let region = environment["AWS_REGION"] ?? "us-east-1"
        configuration.functionARN = "arn:aws:lambda:\(region):000000000000:function:\(configuration.functionName)"

        let taskRoot = workingDirectory ?? environment["LAMBDA_TASK_ROOT"] ?? FileManager.default.currentDirectoryPath
        let arguments = command
        let executable: String
        if let first = arguments.first {
            executable = first
        } else {
            let candidates = ["\(taskRoot)/bootstrap", "/var/task/bootstrap", "/opt/bootstrap", "/var/runtime/bootstrap"]
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                throw ValidationError("no runtime command given and no executable bootstrap in \(candidates.joined(separator: ", "))")
            }
            executable = found
        }
        let runtime = RuntimeProcess.Command(
            executable: Self.resolve(executable, path: environment["PATH"] ?? "/usr/bin:/bin"),
            arguments: Array(arguments.dropFirst()),
            environment: environment,
            workingDirectory: taskRoot
        )
        let emulator = try await RuntimeInterfaceEmulator(
            host: host, invokePort: port, runtimeAPIPort: runtimeAPIPort, configuration: configuration, runtime: runtime,
            memoryLimit: limitMemory || memoryCgroup != nil ? MemoryLimit(megabytes: configuration.memoryMB, cgroup: memoryCgroup) : nil,
            forkServer: forkServer, initAtStart: initAtStart
        )
        let serving = Task { try await emulator.run() }
        try await CommandLifecycle.serve(
            readyLine: "shoal rie listening on \(host):\(emulator.invokePort) runtime-api 127.0.0.1:\(emulator.runtimeAPIPort) ready",
            parts: [
                StoppedPart("runtime interface") {
                    await emulator.stop()
                    serving.cancel()
                }
            ], logger: Logger(label: "shoal.rie"))
    }

    /// A bare command name is looked up on PATH, as a shell would.
    static func resolve(_ executable: String, path: String) -> String {
        guard !executable.contains("/") else { return executable }
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return executable
    }
}

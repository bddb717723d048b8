import Foundation
import NIOConcurrencyHelpers
import ShoalProtocol
import Subprocess
import SystemPackage

/// Which runtimes the process backend runs and with what: the runtime families of
/// docs/api.md, mapped to interpreters on this machine.
struct RuntimeCatalog: Sendable {
    enum Family: Sendable, Hashable {
        case provided
        case python(version: String)
        case node(version: String)
    }

    /// How Python functions reach the Runtime API.
    enum PythonClient: String, Sendable, Hashable {
        /// awslambdaric when the interpreter can import it, else the bundled loop.
        case auto
        case awslambdaric
        case bundled
    }

    var pythonExecutable: String?
    var nodeExecutable: String?
    var pythonClient: PythonClient
    var runtimeDirectory: URL

    static func family(of runtime: String) -> Family? {
        switch runtime {
        case "provided.al2023", "provided.al2", "provided": return .provided
        case let python where python.hasPrefix("python3."):
            let minor = python.dropFirst("python3.".count)
            guard let number = Int(minor), (9...13).contains(number) else { return nil }
            return .python(version: String(python.dropFirst("python".count)))
        case let node where node.hasPrefix("nodejs") && node.hasSuffix(".x"):
            let major = node.dropFirst("nodejs".count).dropLast(2)
            guard let number = Int(major), (18...22).contains(number) else { return nil }
            return .node(version: String(major))
        default: return nil
        }
    }

    /// The command an instance of `function` runs under its RIE; throws the
    /// `Runtime.InvalidEntrypoint`-style error when it cannot be run here.
    func command(for function: FunctionDefinition, codeDirectory: URL) async throws(WorkerError) -> [String] {
        guard let family = Self.family(of: function.runtime) else {
            throw WorkerError(
                .invalidParameter,
                "Value \(function.runtime) at 'runtime' failed to satisfy constraint: the process backend runs provided.al2023, provided.al2, python3.9-3.13 and nodejs18.x-22.x"
            )
        }
        switch family {
        case .provided:
            let bootstrap = codeDirectory.appendingPathComponent("bootstrap").path
            guard FileManager.default.isExecutableFile(atPath: bootstrap) else {
                throw WorkerError(.invalidEntrypoint, "Runtime.InvalidEntrypoint: the code has no executable bootstrap at its root")
            }
            return [bootstrap]
        case .python(let version):
            let candidates = pythonExecutable.map { [$0] } ?? Self.onPath(["python\(version)", "python3"])
            guard let python = await Self.firstWorking(candidates, reportingRealPath: ["-c", "import sys; print(sys.executable)"]) else {
                throw WorkerError(.invalidEntrypoint, "Runtime.InvalidEntrypoint: no python\(version) or python3 interpreter on this worker")
            }
            let useRIC: Bool
            switch pythonClient {
            case .bundled: useRIC = false
            case .awslambdaric: useRIC = true
            case .auto: useRIC = await Self.canImportAWSLambdaRIC(python)
            }
            return useRIC
                ? [python, "-m", "awslambdaric", function.handler]
                : [python, "-u", runtimeDirectory.appendingPathComponent(PythonRuntimeLoop.fileName).path]
        case .node:
            let candidates = nodeExecutable.map { [$0] } ?? Self.onPath(["node", "nodejs"])
            guard let node = await Self.firstWorking(candidates, reportingRealPath: ["-e", "console.log(process.execPath)"]) else {
                throw WorkerError(.invalidEntrypoint, "Runtime.InvalidEntrypoint: no node interpreter on this worker")
            }
            return [node, runtimeDirectory.appendingPathComponent(NodeRuntimeLoop.fileName).path]
        }
    }

    /// Writes the bundled runtime loops where `LAMBDA_RUNTIME_DIR` points.
    func installBundledRuntimes() throws {
        try FileManager.default.createDirectory(at: runtimeDirectory, withIntermediateDirectories: true)
        try PythonRuntimeLoop.source.write(to: runtimeDirectory.appendingPathComponent(PythonRuntimeLoop.fileName), atomically: true, encoding: .utf8)
        try NodeRuntimeLoop.source.write(to: runtimeDirectory.appendingPathComponent(NodeRuntimeLoop.fileName), atomically: true, encoding: .utf8)
        try PythonForkServer.source.write(to: runtimeDirectory.appendingPathComponent(PythonForkServer.fileName), atomically: true, encoding: .utf8)
    }

    /// Every executable with one of these names on PATH, in PATH order, names first.
    static func onPath(_ names: [String]) -> [String] {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return names.flatMap { name in
            path.split(separator: ":").map { "\($0)/\(name)" }.filter { FileManager.default.isExecutableFile(atPath: $0) }
        }
    }

    /// The real executable of the first candidate that actually runs. A file on PATH can be a
    /// version manager's shim: one for a version that is not installed exits with 127, and a
    /// working one costs a shell and a lookup on every cold start. `arguments` make the
    /// interpreter print its own path, which is what instances then run.
    static func firstWorking(_ candidates: [String], reportingRealPath arguments: [String]) async -> String? {
        for candidate in candidates {
            if let real = await realPath(candidate, arguments) { return real }
        }
        return nil
    }

    /// One run of an interpreter: did it succeed, and what did it print.
    private struct ProbeResult: Sendable {
        var succeeded: Bool
        var output: String
    }

    /// Each probe's run, shared: a burst of first deploys (200 concurrent first calls of a new
    /// function) waits for one interpreter run instead of starting one each, which starved
    /// the worker's loop past its heartbeats.
    private static let probes = NIOLockedValueBox<[String: Task<ProbeResult, Never>]>([:])

    /// Runs `executable arguments` once per executable and arguments; later asks, and asks
    /// made while it runs, get the same answer (interpreters do not change under a running worker).
    private static func probe(_ executable: String, _ arguments: [String]) async -> ProbeResult {
        let key = ([executable] + arguments).joined(separator: "\u{0}")
        let task = probes.withLockedValue { probes in
            if let running = probes[key] { return running }
            let started = Task {
                let result = try? await run(
                    .path(FilePath(executable)), arguments: Arguments(arguments), output: .string(limit: 4096), error: .discarded)
                return ProbeResult(
                    succeeded: result?.terminationStatus.isSuccess ?? false,
                    output: result?.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                )
            }
            probes[key] = started
            return started
        }
        return await task.value
    }

    private static func realPath(_ executable: String, _ arguments: [String]) async -> String? {
        let result = await probe(executable, arguments)
        return result.succeeded && FileManager.default.isExecutableFile(atPath: result.output) ? result.output : nil
    }

    /// Whether `python` can import awslambdaric.
    static func canImportAWSLambdaRIC(_ python: String) async -> Bool {
        await probe(python, ["-c", "import awslambdaric"]).succeeded
    }
}

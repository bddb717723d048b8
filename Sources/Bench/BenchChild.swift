import Foundation
import ShoalRuntimeInterface

/// A `shoal` child process a benchmark starts (this same executable) and stops by PID: a
/// `RuntimeProcess` in its own session, whose ready line tells the port it listens on.
struct BenchChild: Sendable {
    let process: RuntimeProcess
    let logs = LogBuffer(capacity: 64 * 1024)

    /// `shoal ARGUMENTS`: the `shoal` built beside this executable.
    init(arguments: [String]) {
        self.init(executable: Self.ownExecutable.deletingLastPathComponent().appendingPathComponent("shoal").path, arguments: arguments)
    }

    /// `shoal-bench ARGUMENTS`: this executable again (the RPC benchmark's echo server).
    init(benchArguments: [String]) {
        self.init(executable: Self.ownExecutable.path, arguments: benchArguments)
    }

    private static var ownExecutable: URL { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath() }

    private init(executable: String, arguments: [String]) {
        process = RuntimeProcess(
            .init(
                executable: executable, arguments: arguments, environment: ProcessInfo.processInfo.environment,
                workingDirectory: FileManager.default.currentDirectoryPath),
            logs: logs, echo: false, isolation: .newSession
        )
    }

    var pid: pid_t { process.pid ?? 0 }

    /// The port from the child's "... HOST:PORT ... ready" line.
    func readyPort(timeout: Duration = .seconds(20)) async throws -> Int {
        try await process.waitUntilReady(logs: logs, timeout: timeout).port
    }

    /// A gateway's two ports, from its "... rpc HOST:PORT http HOST:PORT ... ready" line.
    func readyPorts() async throws -> (rpc: Int, http: Int) {
        let rpc = try await readyPort()
        let line = String(decoding: logs.contents, as: UTF8.self).split(separator: "\n").first { $0.contains(" ready") } ?? ""
        let words = line.split(separator: " ")
        guard let index = words.firstIndex(of: "http"), index + 1 < words.count, let http = Int(words[index + 1].split(separator: ":").last ?? "")
        else { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "no http port in: \(line)"]) }
        return (rpc, http)
    }

    /// CPU time of the whole process (all threads), from /proc.
    func cpuTime() -> CPUTime {
        CPUTime(stat: "/proc/\(pid)/stat")
    }

    /// The process's CPU time less that of its threads named `thread` (the scripted
    /// instances' thread in a worker: what is left is the worker's own work).
    func cpuTime(excludingThread thread: String) -> CPUTime {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        let excluded = tasks.reduce(CPUTime()) { total, tid in
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8)) ?? ""
            guard comm.trimmingCharacters(in: .newlines) == thread else { return total }
            return total + CPUTime(stat: "/proc/\(pid)/task/\(tid)/stat")
        }
        return cpuTime() - excluded
    }

    /// SIGTERM (the child stops what it started), then wait for the exit.
    func stop() async {
        await process.terminate()
    }
}

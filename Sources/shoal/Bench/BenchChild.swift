import Foundation
import ShoalRuntimeInterface

/// A `shoal` child process a benchmark starts (this same executable) and stops by PID: a
/// `RuntimeProcess` in its own session, whose ready line tells the port it listens on.
struct BenchChild: Sendable {
    let process: RuntimeProcess
    let logs = LogBuffer(capacity: 64 * 1024)

    init(arguments: [String]) {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        process = RuntimeProcess(
            .init(executable: executable, arguments: arguments, environment: ProcessInfo.processInfo.environment,
                  workingDirectory: FileManager.default.currentDirectoryPath),
            logs: logs, echo: false, isolation: .newSession
        )
    }

    var pid: pid_t { process.pid ?? 0 }

    /// The port from the child's "... HOST:PORT ... ready" line.
    func readyPort() async throws -> Int {
        try await process.waitUntilReady(logs: logs, timeout: .seconds(20)).port
    }

    /// User plus system CPU time of the whole process (all threads), from /proc.
    func cpuTime() -> Duration {
        Self.cpuTime(stat: "/proc/\(pid)/stat")
    }

    /// The process's CPU time less that of its threads named `thread` (the scripted
    /// instances' thread in a worker: what is left is the worker's own work).
    func cpuTime(excludingThread thread: String) -> Duration {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        let excluded = tasks.reduce(Duration.zero) { total, tid in
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8)) ?? ""
            guard comm.trimmingCharacters(in: .newlines) == thread else { return total }
            return total + Self.cpuTime(stat: "/proc/\(pid)/task/\(tid)/stat")
        }
        return cpuTime() - excluded
    }

    /// utime plus stime of a /proc stat file.
    private static func cpuTime(stat path: String) -> Duration {
        guard let stat = try? String(contentsOfFile: path, encoding: .utf8),
              let afterName = stat.range(of: ") ", options: .backwards)?.upperBound else { return .zero }
        // After "(comm) ": state is field 3, utime 14, stime 15.
        let fields = stat[afterName...].split(separator: " ")
        let ticks = (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
        let ticksPerSecond = sysconf(Int32(_SC_CLK_TCK))
        return .microseconds(ticks * 1_000_000 / max(ticksPerSecond, 1))
    }

    /// SIGTERM (the child stops what it started), then wait for the exit.
    func stop() async {
        await process.terminate()
    }
}

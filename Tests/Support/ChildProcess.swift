import Foundation
import ShoalRuntimeInterface

/// A `shoal` child process started by a test and stopped by PID when the test is done: a
/// `RuntimeProcess` in its own session, whose output is kept for the test to read.
package struct ChildProcess: Sendable {
    package let process: RuntimeProcess
    package let logs = LogBuffer(capacity: 256 * 1024)

    /// The `shoal` executable this test build produced.
    package static var shoalExecutable: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/shoal")
    }

    /// The `shoal-bench` executable beside it.
    package static var benchExecutable: URL {
        shoalExecutable.deletingLastPathComponent().appendingPathComponent("shoal-bench")
    }

    /// `executable` (`shoal` unless given) with `arguments`.
    package init(executable: URL = ChildProcess.shoalExecutable, arguments: [String], environment: [String: String] = [:]) {
        process = RuntimeProcess(
            .init(
                executable: executable.path, arguments: arguments,
                environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                workingDirectory: FileManager.default.currentDirectoryPath),
            logs: logs, echo: false, isolation: .newSession
        )
    }

    /// Waits for the "... HOST:PORT ... ready" line; returns it, its port and the child's pid.
    package func ready(timeout: Duration = .seconds(20)) async throws -> (line: String, port: Int, pid: pid_t) {
        let (port, pid) = try await process.waitUntilReady(logs: logs, timeout: timeout)
        let line = String(decoding: logs.contents, as: UTF8.self).split(separator: "\n").first { $0.hasSuffix("ready") } ?? ""
        return (String(line), port, pid)
    }

    /// SIGTERM, then the exit; `.status(0)` is a clean shutdown.
    package func terminate() async -> RuntimeProcess.Exit {
        await process.terminate()
    }
}

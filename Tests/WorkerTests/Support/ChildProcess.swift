import Foundation
import NIOConcurrencyHelpers

/// A `shoal` child process started by a test, stopped by PID when the test is done.
final class ChildProcess: Sendable {
    let process: Process
    private let output = NIOLockedValueBox<String>("")

    /// The `shoal` executable this test build produced (next to the test bundle).
    static var shoalExecutable: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/shoal")
    }

    init(arguments: [String], environment: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = Self.shoalExecutable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        let output = output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.withLockedValue { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var stdout: String { output.withLockedValue { $0 } }

    /// Waits for a line of standard output that contains `marker` and returns it.
    func line(containing marker: String, timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = stdout.split(separator: "\n").first(where: { $0.contains(marker) }) { return String(line) }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "no line containing \(marker); output: \(stdout)"])
    }

    /// Sends SIGTERM and waits for the process to exit; true if it exited in time.
    func terminate(timeout: Duration = .seconds(10)) async -> Bool {
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(pid, SIGKILL)
            return false
        }
        return true
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

import Foundation
import NIOConcurrencyHelpers

/// A `shoal` child process a benchmark starts (this same executable), whose "ready" line
/// tells the port it listens on, and which the benchmark stops by PID.
final class BenchChild: Sendable {
    let process: Process
    private let output = NIOLockedValueBox<String>("")

    init(arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
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

    /// The port from the child's "... listening on HOST:PORT ... ready" line.
    func readyPort(timeout: Duration = .seconds(20)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = output.withLockedValue { $0 }
            if let line = text.split(separator: "\n").first(where: { $0.contains("ready") }),
               let address = line.split(separator: " ").first(where: { $0.contains(":") && Int($0.split(separator: ":").last ?? "") != nil }),
               let port = Int(address.split(separator: ":").last!) {
                return port
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "child did not get ready: \(output.withLockedValue { $0 })"])
    }

    /// User plus system CPU time of the whole process (all threads), from /proc.
    func cpuTime() -> Duration {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let afterName = stat.range(of: ") ")?.upperBound else { return .zero }
        // Fields after "(comm) ": state is field 3, utime 14, stime 15.
        let fields = stat[afterName...].split(separator: " ")
        let ticks = (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
        let ticksPerSecond = sysconf(Int32(_SC_CLK_TCK))
        return .microseconds(ticks * 1_000_000 / max(ticksPerSecond, 1))
    }

    /// SIGTERM, then wait for the exit.
    func stop() async {
        process.terminate()
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
    }
}

import Foundation
import ShoalRuntimeInterface
import ShoalTestSupport
import Testing

/// `shoal-bench gateway`, the issue's benchmark, run small: it must measure both paths at each
/// level, report the figures the README quotes, and stop the gateway and worker it started.
@Suite struct GatewayBenchTests {
    @Test func eachLevelMeasuresBothPathsAndTheChildrenAreGoneAfterwards() async throws {
        let bench = ChildProcess(
            executable: ChildProcess.benchExecutable, arguments: ["gateway", "--invocations", "1200", "--callers", "1,2", "--repeats", "2"])
        let exit = try await Self.exit(of: bench, within: .seconds(120))
        let output = String(decoding: bench.logs.contents, as: UTF8.self)
        #expect(exit == .status(0), "\(output)")
        let lines = output.split(separator: "\n").map(String.init)
        for callers in [1, 2] {
            for run in 1...2 {
                let label = "  \(callers) caller(s), run \(run):"
                // Every path gets every call it was asked for, though they come in blocks.
                #expect(lines.contains { $0.hasPrefix("\(label) direct   1200 calls") }, "\(output)")
                #expect(lines.contains { $0.hasPrefix("\(label) gateway  1200 calls") }, "\(output)")
                #expect(lines.contains { $0.hasPrefix("\(label) added p50 ") && $0.contains("gateway+worker CPU") }, "\(output)")
            }
            #expect(lines.contains { $0.hasPrefix("  \(callers) caller(s), median of 2: added p50 ") }, "\(output)")
        }
        // Figures come with how the machine idles, which sets the one-caller figure.
        #expect(lines.contains { $0.hasPrefix("idle: cpuidle ") }, "\(output)")
        // The header names the children; the bench must have stopped and reaped both.
        let header = try #require(lines.first { $0.hasPrefix("shoal-bench gateway:") })
        let pids = ["gateway pid ", "worker pid "].compactMap { key -> pid_t? in
            guard let range = header.range(of: key) else { return nil }
            return pid_t(header[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(pids.count == 2, "\(header)")
        for pid in pids {
            #expect(kill(pid, 0) == -1 && errno == ESRCH, "child \(pid) still exists")
        }
    }

    /// A list with anything but integers 1...64 in it is refused whole, not measured in part.
    @Test func badLevelsAreRefused() async throws {
        for callers in ["0", "65", "x", "", "1,x", "1,,16"] {
            let bench = ChildProcess(executable: ChildProcess.benchExecutable, arguments: ["gateway", "--callers", callers])
            let exit = try await Self.exit(of: bench, within: .seconds(30))
            let output = String(decoding: bench.logs.contents, as: UTF8.self)
            #expect(exit != .status(0), "--callers \(callers): \(output)")
            #expect(output.contains("--callers takes integers 1...64"), "--callers \(callers): \(output)")
        }
    }

    /// The child's exit; stops it by pid if it has not ended within `limit`.
    private static func exit(of child: ChildProcess, within limit: Duration) async throws -> RuntimeProcess.Exit {
        try await withThrowingTaskGroup(of: RuntimeProcess.Exit?.self) { group in
            group.addTask { await child.process.exited }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            if let first { return first }
            _ = await child.terminate()
            Issue.record("the bench did not end within \(limit)")
            return .signal(SIGKILL)
        }
    }
}

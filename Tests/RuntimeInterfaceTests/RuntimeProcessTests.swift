import Foundation
import ShoalRuntimeInterface
import ShoalTestSupport
import Testing

/// Stopping a child process that is still being started.
@Suite struct RuntimeProcessTests {
    /// `terminate` before the spawn has happened returns at once and leaves nothing running;
    /// it once waited for an exit nobody asked for (a worker's shutdown hung on it).
    @Test func terminatingAProcessThatIsStillStartingStopsIt() async throws {
        let marker = "31.\(Int.random(in: 100_000...999_999))"
        let process = RuntimeProcess(
            .init(executable: "/bin/sleep", arguments: [marker], environment: [:], workingDirectory: "/"), logs: LogBuffer(capacity: 1024))
        let began = ContinuousClock.now
        let stopped = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = await process.terminate(grace: .seconds(1))
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(10))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(stopped, "terminate returned within 10 s")
        #expect(ContinuousClock.now - began < .seconds(5))
        if !stopped { await process.stop() }
        #expect(ProcessScan.commandLines(containing: marker).isEmpty)
    }
}

import Foundation
import NIOConcurrencyHelpers
import ShoalProtocol

/// A suite's cold starts: `functions` Python functions through `shoal up` (2 workers), each
/// invoked once by `callers` concurrent callers, with the Python fork server on and off in
/// the same run. Per run: cold starts per second, machine CPU per cold start (/proc/stat, all
/// cores, everything on the machine), p50/p99 per call, and the fleet's PSS per warm instance.
struct ColdBenchmark {
    var functions: Int
    var callers: [Int]
    var python: String?
    var pythonClient: String
    var modes = ["on", "off"]

    static let handler = "def handler(event, context):\n    return event\n"

    func run() async throws -> String {
        var lines = [
            "shoal-bench cold: \(functions) python3.12 functions (\(pythonClient) client), each invoked once, through shoal up with 2 workers, \(ProcessInfo.processInfo.activeProcessorCount) cores"
        ]
        for mode in modes {
            for count in callers {
                let result = try await measure(forkServer: mode, callers: count)
                lines.append(result)
                print(result)
            }
        }
        return lines.joined(separator: "\n")
    }

    private func measure(forkServer: String, callers: Int) async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-cold-\(getpid())-\(forkServer)-\(callers)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var arguments = [
            "up", "--workers", "2", "--rpc-port", "0", "--http-port", "0", "--data-dir", directory, "--python-fork-server", forkServer,
            "--python-client", pythonClient,
        ]
        if let python { arguments += ["--python", python] }
        let up = BenchChild(arguments: arguments)
        do {
            let line = try await burst(up, port: try await SoakBenchmark.upPort(up), forkServer: forkServer, callers: callers)
            await up.stop()
            return line
        } catch {
            await up.stop()
            throw error
        }
    }

    private func burst(_ up: BenchChild, port: Int, forkServer: String, callers: Int) async throws -> String {
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: port)
        defer { Task { await client.close() } }
        let names = (0..<functions).map { "cold-\($0)" }
        try await SoakBenchmark.createPythonFunctions(names, handler: Self.handler, timeout: 30, on: client)
        let workers = try await client.call(ClientAPI.WorkersList.self, Empty()).workers.compactMap { $0.pid.map { pid_t($0) } }
        let next = NIOLockedValueBox(0)
        let clock = ContinuousClock()
        let cpuBefore = Self.machineCPU()
        let began = clock.now
        let samples = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for _ in 0..<callers {
                group.addTask {
                    var mine: [Duration] = []
                    while true {
                        let index = next.withLockedValue { value -> Int in
                            defer { value += 1 }
                            return value
                        }
                        guard index < names.count else { return mine }
                        let started = clock.now
                        let result = try await client.call(
                            ClientAPI.Invoke.self, .init(functionName: names[index], payload: Data(#"{"n":1}"#.utf8).base64EncodedString()))
                        guard result.functionError == nil else { throw BenchError("\(names[index]) failed: \(result)") }
                        mine.append(clock.now - started)
                    }
                }
            }
            return try await group.reduce(into: [Duration]()) { $0 += $1 }
        }
        let elapsed = clock.now - began
        let cpu = Self.machineCPU() - cpuBefore
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let memory = FleetMemory(workers: workers)
        let percentiles = SoakBenchmark.Percentiles(samples).columns
        return String(
            format:
                "  fork server %@, %2d callers: %d cold starts in %.2f s = %.1f/s; machine CPU %.1f ms per cold start; p50 %@ ms, p99 %@ ms; PSS per warm instance %.1f MB (emulator %.1f, runtime %.1f, fork servers %.1f)",
            forkServer, callers, samples.count, seconds, Double(samples.count) / seconds,
            cpu * 1000 / Double(max(samples.count, 1)), percentiles[0], percentiles[1],
            memory.total / Double(functions), memory.emulators / Double(functions), memory.runtimes / Double(functions),
            memory.forkServers / Double(functions))
    }

    /// Seconds of CPU the whole machine spent (every core, every state but idle and iowait).
    static func machineCPU() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return 0 }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 8 else { return 0 }
        // user nice system idle iowait irq softirq steal
        let busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
        return busy / Double(max(sysconf(Int32(_SC_CLK_TCK)), 1))
    }

    /// The PSS of everything the workers started (not the workers themselves), in MB, by kind.
    struct FleetMemory {
        var emulators = 0.0
        var runtimes = 0.0
        var forkServers = 0.0
        var total: Double { emulators + runtimes + forkServers }

        init(workers: [pid_t]) {
            var pending = workers.flatMap(Self.children)
            while let pid = pending.popLast() {
                pending += Self.children(of: pid)
                let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
                let pss = Self.pss(of: pid)
                if command.contains("shoal_python_fork_server.py") {
                    if Self.isForkedChild(pid) { runtimes += pss } else { forkServers += pss }
                } else if command.hasPrefix("/") && (command.contains("shoal-rie\0") || command.contains("shoal\0rie\0")) {
                    emulators += pss
                } else {
                    runtimes += pss
                }
            }
        }

        /// A runtime forked from a fork server carries the server's command line.
        static func isForkedChild(_ pid: pid_t) -> Bool {
            let parent = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: ")").last?.split(separator: " ")
                .dropFirst().first.flatMap { Int32($0) }
            guard let parent else { return false }
            let command = (try? String(contentsOfFile: "/proc/\(parent)/cmdline", encoding: .utf8)) ?? ""
            return command.contains("shoal_python_fork_server.py")
        }

        static func children(of pid: pid_t) -> [pid_t] {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            return tasks.flatMap { task in
                ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "").split(separator: " ").compactMap {
                    pid_t($0)
                }
            }
        }

        /// Proportional set size, MB.
        static func pss(of pid: pid_t) -> Double {
            guard let rollup = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8),
                let line = rollup.split(separator: "\n").first(where: { $0.hasPrefix("Pss:") }),
                let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
            else { return 0 }
            return kilobytes / 1024
        }
    }
}

import Foundation
import NIOConcurrencyHelpers
import ShoalProtocol

/// A long run of warm invocations through `shoal up` (real Python functions on the process
/// backend), to see whether memory stays flat and how the tail behaves over time: every
/// `sampleEvery`, the resident memory of the gateway and of each worker, and the latency
/// percentiles of the calls since the last sample; at the end, the whole run's.
struct SoakBenchmark {
    var duration: Duration
    var callers: Int
    var functions: Int
    var sampleEvery: Duration

    static let handler = "def handler(event, context):\n    return {'n': event.get('n')}\n"

    func run() async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-soak-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let up = BenchChild(arguments: ["up", "--workers", "2", "--rpc-port", "0", "--http-port", "0", "--data-dir", directory])
        do {
            let report = try await measure(up, port: try await Self.upPort(up))
            await up.stop()
            return report
        } catch {
            await up.stop()
            throw error
        }
    }

    /// `shoal up` prints its workers' ready lines too: its own says "shoal up rpc HOST:PORT".
    static func upPort(_ up: BenchChild) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let output = String(decoding: up.logs.contents, as: UTF8.self)
            if let line = output.split(separator: "\n").first(where: { $0.hasPrefix("shoal up rpc ") && $0.hasSuffix("ready") }),
                let port = line.split(separator: " ").dropFirst(3).first.flatMap({ Int($0.split(separator: ":").last ?? "") })
            {
                return port
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("shoal up did not get ready")
    }

    private func measure(_ up: BenchChild, port: Int) async throws -> String {
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: port)
        defer { Task { await client.close() } }
        let names = (0..<functions).map { "soak-\($0)" }
        try await Self.createPythonFunctions(names, handler: Self.handler, on: client)
        let workers: [(name: String, pid: pid_t)] = try await client.call(ClientAPI.WorkersList.self, Empty()).workers.compactMap { worker in
            worker.pid.map { (worker.id, pid_t($0)) }
        }
        let processes: [(name: String, pid: pid_t)] = [("gateway", up.pid)] + workers

        let clock = ContinuousClock()
        let end = clock.now + duration
        let window = NIOLockedValueBox<(samples: [Duration], errors: Int)>(([], 0))
        var all: [Duration] = []
        var errors = 0
        var lines = ["soak: \(callers) callers over \(functions) Python functions on 2 workers for \(duration); RSS in MB"]
        let header: [String] = ["t"] + processes.map(\.name) + ["instances", "calls", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "errors"]
        lines.append(header.joined(separator: "\t"))
        let callerTasks = (0..<callers).map { caller in
            Task {
                var index = caller
                while clock.now < end {
                    let name = names[index % names.count]
                    index += 1
                    let started = clock.now
                    do {
                        let result = try await client.call(
                            ClientAPI.Invoke.self,
                            .init(
                                functionName: name, payload: Data(#"{"n": \#(index)}"#.utf8).base64EncodedString()))
                        let elapsed = clock.now - started
                        window.withLockedValue {
                            $0.samples.append(elapsed)
                            $0.errors += result.functionError == nil ? 0 : 1
                        }
                    } catch {
                        window.withLockedValue { $0.errors += 1 }
                    }
                }
            }
        }
        let began = clock.now
        while clock.now < end {
            try await Task.sleep(for: min(sampleEvery, end - clock.now))
            let (samples, windowErrors) = window.withLockedValue { state in
                defer { state = ([], 0) }
                return state
            }
            all += samples
            errors += windowErrors
            let seconds = Int((clock.now - began).components.seconds)
            let summary = Percentiles(samples)
            let memory: [String] = processes.map { Self.residentMB($0.pid) }
            let instances = try await client.call(ClientAPI.WarmList.self, Empty()).instances.count
            let row: [String] = ["\(seconds)s"] + memory + [String(instances), String(samples.count)] + summary.columns + [String(windowErrors)]
            lines.append(row.joined(separator: "\t"))
            print(lines.last!)
        }
        for task in callerTasks { await task.value }
        let tail = window.withLockedValue { $0 }
        all += tail.samples
        errors += tail.errors
        let total = Percentiles(all)
        lines.append(
            "whole run: \(all.count) calls, \(errors) errors; p50 \(total.columns[0]) ms, p99 \(total.columns[1]) ms, p99.9 \(total.columns[2]) ms, max \(total.columns[3]) ms"
        )
        return lines.joined(separator: "\n")
    }

    /// Creates python3.12 functions `names`, each with `handler` as `app.py` (`app.handler`).
    static func createPythonFunctions(_ names: [String], handler: String, timeout: Int? = nil, on client: RPCConnection) async throws {
        let zip = try BenchTool.python(
            """
            import io, sys, zipfile
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("app.py", sys.argv[1])
            sys.stdout.buffer.write(buffer.getvalue())
            """, [handler])
        for name in names {
            _ = try await client.call(
                ClientAPI.CreateFunction.self,
                .init(
                    functionName: name, runtime: "python3.12", handler: "app.handler", code: .init(zipFile: zip.base64EncodedString()),
                    timeout: timeout))
        }
    }

    /// VmRSS of a process, in MB with one decimal.
    static func residentMB(_ pid: pid_t) -> String {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return "-" }
        return String(format: "%.1f", kilobytes / 1024)
    }

    /// p50, p99, p99.9 and max of a set of durations, in milliseconds.
    struct Percentiles {
        var columns: [String]

        init(_ samples: [Duration]) {
            let sorted = samples.sorted()
            func at(_ fraction: Double) -> String {
                guard !sorted.isEmpty else { return "-" }
                let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
                return String(format: "%.2f", Double(value.components.seconds) * 1e3 + Double(value.components.attoseconds) / 1e15)
            }
            columns = [at(0.5), at(0.99), at(0.999), at(1)]
        }
    }
}

import Crypto
import Foundation
import ShoalProtocol

/// The Docker backend against the process backend in one run, through a worker each: the cold
/// start of a Python function (function.put of fresh code to its first answer), warm invokes
/// (alternating blocks between the two), and a burst of fresh functions invoked at once
/// (instances started per second).
struct DockerBenchmark {
    var cold: Int
    var warm: Int
    var burst: Int
    var memoryMB: Int
    var image: String
    var python: String?

    /// One backend's worker and what was measured on it.
    private final class Side {
        let label: String
        let worker: BenchChild
        var client: RPCConnection?
        var coldSamples: [Duration] = []
        var warmSamples: [Duration] = []
        var burstSeconds = 0.0

        init(label: String, arguments: [String]) {
            self.label = label
            worker = BenchChild(arguments: arguments)
        }
    }

    func run() async throws -> String {
        let process = Side(
            label: "process", arguments: ["worker", "--port", "0", "--max-concurrency", "\(burst)"] + (python.map { ["--python", $0] } ?? []))
        let docker = Side(
            label: "docker",
            arguments: [
                "worker", "--port", "0", "--max-concurrency", "\(burst)", "--backend", "docker", "--worker-id", "bench-docker", "--pull", "never",
                "--runtime-image", "python3.12=\(image)",
            ])
        do {
            let report = try await measure(process, docker)
            await process.worker.stop()
            await docker.worker.stop()
            return report
        } catch {
            await process.worker.stop()
            await docker.worker.stop()
            throw error
        }
    }

    private func measure(_ process: Side, _ docker: Side) async throws -> String {
        for side in [process, docker] {
            let client = try await RPCConnection.connect(host: "127.0.0.1", port: try await side.worker.readyPort(timeout: .seconds(120)))
            _ = try await client.call(WorkerAPI.Hello.self, .init(token: nil))
            side.client = client
        }
        // Cold starts alternate between the backends, one fresh function at a time.
        for salt in 0..<cold {
            for side in [process, docker] {
                side.coldSamples.append(try await coldStart(side, name: "cold-\(salt)", salt: salt))
            }
        }
        let clock = ContinuousClock()
        let payload = Data(#"{"n":1}"#.utf8).base64EncodedString()
        for block in 0..<(warm / 100) {
            for side in [process, docker] {
                let params = WorkerAPI.InvokeParams(functionName: "cold-\(cold - 1)", payload: payload)
                for _ in 0..<100 {
                    let began = clock.now
                    _ = try await side.client!.call(WorkerAPI.Invoke.self, params)
                    if block > 0 { side.warmSamples.append(clock.now - began) }
                }
            }
        }
        for side in [process, docker] {
            let names = try await (0..<burst).asyncMap { try await define(side, name: "burst-\($0)", salt: 10_000 + $0) }
            let began = clock.now
            let client = side.client!
            try await withThrowingTaskGroup(of: Void.self) { group in
                for name in names {
                    group.addTask {
                        _ = try await client.call(WorkerAPI.Invoke.self, .init(functionName: name, payload: payload))
                    }
                }
                try await group.waitForAll()
            }
            side.burstSeconds = Self.seconds(clock.now - began)
            await side.client?.close()
        }
        return report(process, docker)
    }

    private func report(_ process: Side, _ docker: Side) -> String {
        func ms(_ duration: Duration) -> String { String(format: "%.1f ms", Self.seconds(duration) * 1000) }
        func us(_ duration: Duration) -> String { "\(LatencySummary.micros(duration)) µs" }
        var lines = [
            "shoal-bench docker: python3.12 (awslambdaric) at \(memoryMB) MB on each backend through its worker; image \(image)",
            "  \(cold) cold starts (function.put of fresh code to first answer), \(warm) warm invokes in alternating blocks, a burst of \(burst) fresh functions",
        ]
        let summaries = [process, docker].map {
            (
                $0.label, LatencySummary(samples: $0.coldSamples, elapsed: .seconds(1)),
                LatencySummary(samples: $0.warmSamples, elapsed: .seconds(1)),
                Double(burst) / $0.burstSeconds
            )
        }
        for (label, coldSummary, warmSummary, rate) in summaries {
            lines.append(
                "  \(label.padding(toLength: 8, withPad: " ", startingAt: 0)) cold p50 \(ms(coldSummary.p50)) p99 \(ms(coldSummary.p99)); "
                    + "warm p50 \(us(warmSummary.p50)) p99 \(us(warmSummary.p99)); burst \(String(format: "%.1f", rate)) instances/s")
        }
        let warmRatio = Self.seconds(summaries[1].2.p50) / Self.seconds(summaries[0].2.p50)
        let coldRatio = Self.seconds(summaries[1].1.p50) / Self.seconds(summaries[0].1.p50)
        lines.append(
            String(
                format: "  docker / process: warm p50 %.2fx (target 1.3x), cold p50 %.2fx; docker cold p50 %@ (target under 1 s)", warmRatio,
                coldRatio, ms(summaries[1].1.p50)))
        return lines.joined(separator: "\n")
    }

    /// Puts a fresh function (new code, so a new deploy) on the side's worker; its name.
    private func define(_ side: Side, name: String, salt: Int) async throws -> String {
        let zip = try RuntimeBenchmark.zip([("app.py", "# \(salt)\ndef handler(event, context):\n    return event\n", 0o644)])
        let sha = SHA256.hash(data: zip).map { String(format: "%02x", $0) }.joined()
        _ = try await side.client!.call(WorkerAPI.PutArtifact.self, .init(sha256: sha, zipFile: zip.base64EncodedString()))
        let function = FunctionDefinition(name: name, runtime: "python3.12", handler: "app.handler", memoryMB: memoryMB, codeSHA256: sha)
        _ = try await side.client!.call(WorkerAPI.PutFunction.self, .init(function: function))
        return name
    }

    private func coldStart(_ side: Side, name: String, salt: Int) async throws -> Duration {
        let clock = ContinuousClock()
        let began = clock.now
        _ = try await define(side, name: name, salt: salt)
        let payload = Data(#"{"n":1}"#.utf8)
        let result = try await side.client!.call(WorkerAPI.Invoke.self, .init(functionName: name, payload: payload.base64EncodedString()))
        let elapsed = clock.now - began
        guard result.coldStart, result.functionError == nil, RuntimeBenchmark.sameJSON(Data(base64Encoded: result.payload), payload) else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "\(side.label): cold invoke of \(name) answered \(result)"])
        }
        return elapsed
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

extension Range where Bound == Int {
    /// Maps in order, awaiting each.
    func asyncMap<T>(_ transform: (Int) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for index in self { results.append(try await transform(index)) }
        return results
    }
}

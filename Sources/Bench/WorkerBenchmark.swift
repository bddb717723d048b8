import Crypto
import Foundation
import ShoalProtocol
import ShoalWorker

/// What the worker adds to a warm invocation. One `shoal worker --backend scripted` child
/// process; one warm scripted instance inside it; from this process, in one run, alternating
/// phases of N sequential direct HTTP POSTs to the instance (the worker's own HTTP client,
/// `InstanceClient`) and N `invoke` calls over JSON-RPC to the worker, which probes and
/// forwards to that same instance.
///
/// The worker's CPU per invocation is the child's CPU time during the worker phase, less that
/// of the thread its scripted instance runs on, divided by N.
struct WorkerBenchmark {
    var invocations: Int
    var repeats: Int
    var payloadBytes: Int
    var probeFreshness: Double

    func run() async throws -> String {
        let worker = BenchChild(arguments: [
            "worker", "--port", "0", "--backend", "scripted", "--max-concurrency", "1", "--probe-freshness", "\(probeFreshness)",
        ])
        do {
            let report = try await measure(worker)
            await worker.stop()
            return report
        } catch {
            await worker.stop()
            throw error
        }
    }

    private func measure(_ worker: BenchChild) async throws -> String {
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: try await worker.readyPort())
        _ = try await client.call(WorkerAPI.Hello.self, .init(token: nil))
        let zip = Self.emptyZip
        let sha = SHA256.hash(data: zip).map { String(format: "%02x", $0) }.joined()
        _ = try await client.call(WorkerAPI.PutArtifact.self, .init(sha256: sha, zipFile: Data(zip).base64EncodedString()))
        let function = FunctionDefinition(name: "bench", runtime: "provided.al2023", handler: "bootstrap", codeSHA256: sha)
        let deployId = try await client.call(WorkerAPI.PutFunction.self, .init(function: function)).deployId

        let payload = BenchPayload.json(bytes: payloadBytes)
        let params = WorkerAPI.InvokeParams(functionName: "bench", deployId: deployId, payload: Data(payload).base64EncodedString())
        _ = try await client.call(WorkerAPI.Invoke.self, params)  // the cold start
        guard let endpointText = try await client.call(WorkerAPI.WarmList.self, Empty()).instances.first?.endpoint,
            let port = Int(endpointText.split(separator: ":").last ?? "")
        else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the worker reported no warm instance"])
        }
        let invoker = InstanceClient()
        let direct = InstanceRequest(endpoint: Endpoint(host: "127.0.0.1", port: port), body: payload, timeout: .seconds(10))
        let clock = ContinuousClock()

        func directPhase(_ count: Int) async throws -> [Duration] {
            var samples: [Duration] = []
            samples.reserveCapacity(count)
            for _ in 0..<count {
                let began = clock.now
                let response = try await invoker.send(direct)
                samples.append(clock.now - began)
                precondition(response.body == payload, "direct: wrong answer")
            }
            return samples
        }

        func workerPhase(_ count: Int) async throws -> [Duration] {
            var samples: [Duration] = []
            samples.reserveCapacity(count)
            for _ in 0..<count {
                let began = clock.now
                let result = try await client.call(WorkerAPI.Invoke.self, params)
                samples.append(clock.now - began)
                precondition(!result.coldStart, "worker: the instance should stay warm")
            }
            return samples
        }

        _ = try await directPhase(min(2_000, invocations))
        _ = try await workerPhase(min(2_000, invocations))
        var lines = [
            "shoal-bench worker: \(invocations) sequential warm invocations per phase, \(payloadBytes)-byte payload, probe freshness \(probeFreshness) s, worker pid \(worker.pid), scripted instance"
        ]
        for run in 1...repeats {
            let directStarted = clock.now
            let directSamples = try await directPhase(invocations)
            let directElapsed = clock.now - directStarted
            let cpuBefore = worker.cpuTime(excludingThread: ScriptedBackend.threadName)
            let workerStarted = clock.now
            let workerSamples = try await workerPhase(invocations)
            let workerElapsed = clock.now - workerStarted
            let cpuAfter = worker.cpuTime(excludingThread: ScriptedBackend.threadName)

            let directSummary = LatencySummary(samples: directSamples, elapsed: directElapsed)
            let workerSummary = LatencySummary(samples: workerSamples, elapsed: workerElapsed)
            let overheadCPU = (cpuAfter - cpuBefore) / invocations
            lines.append("  run \(run): direct  \(directSummary)")
            lines.append("  run \(run): worker  \(workerSummary)")
            lines.append(
                "  run \(run): added p50 \(LatencySummary.micros(workerSummary.p50 - directSummary.p50)) µs, p99 \(LatencySummary.micros(workerSummary.p99 - directSummary.p99)) µs; worker CPU \(LatencySummary.micros(overheadCPU.total)) µs per invocation, \(LatencySummary.micros(overheadCPU.user)) µs of it user space"
            )
        }
        await invoker.shutdown()
        await client.close()
        return lines.joined(separator: "\n")
    }

    /// The smallest valid zip: an end-of-central-directory record and nothing else.
    static let emptyZip: [UInt8] = [0x50, 0x4b, 0x05, 0x06] + [UInt8](repeating: 0, count: 18)
}

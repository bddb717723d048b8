import Foundation
import ShoalProtocol
import ShoalWorker

/// What gateway plus worker add to a warm invocation. A `shoal worker --backend scripted`
/// child and a `shoal gateway` child in front of it; one function with warm scripted
/// instances inside the worker, on a thread of their own; from this process, in one run, the
/// same calls made directly to an instance (HTTP POST with the worker's own client,
/// `InstanceClient`) and through the gateway (JSON-RPC `invoke`), with 1, 16 and 64
/// concurrent callers. The two paths take turns in blocks of calls within each measurement.
///
/// CPU per invocation is the gateway's CPU plus the worker's, less its instances' thread,
/// during the gateway's blocks, divided by their calls.
struct GatewayBenchmark {
    var invocations: Int
    var callerLevels: [Int]
    var payloadBytes: Int
    var repeats = 1

    func run() async throws -> String {
        try await Self.withScriptedFleet { gateway, worker, workerPort in
            try await measure(gateway: gateway, worker: worker, workerPort: workerPort)
        }
    }

    /// Runs `body` against a `shoal worker --backend scripted` child and a `shoal gateway` child
    /// in front of it, and stops both after, whatever `body` did.
    static func withScriptedFleet<T>(_ body: (_ gateway: BenchChild, _ worker: BenchChild, _ workerPort: Int) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let worker = BenchChild(arguments: ["worker", "--port", "0", "--backend", "scripted", "--max-concurrency", "64"])
        var gateway: BenchChild?
        do {
            let workerPort = try await worker.readyPort()
            let started = BenchChild(arguments: [
                "gateway", "--rpc-port", "0", "--http-port", "0", "--data-dir", directory, "--worker", "127.0.0.1:\(workerPort)",
            ])
            gateway = started
            let value = try await body(started, worker, workerPort)
            await started.stop()
            await worker.stop()
            return value
        } catch {
            await gateway?.stop()
            await worker.stop()
            throw error
        }
    }

    private func measure(gateway: BenchChild, worker: BenchChild, workerPort: Int) async throws -> String {
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: try await gateway.readyPort())
        _ = try await client.call(
            ClientAPI.CreateFunction.self,
            .init(
                functionName: "bench", runtime: "provided.al2023", handler: "bootstrap",
                code: .init(zipFile: Self.bootstrapZip)
            ))
        let payload = BenchPayload.json(bytes: payloadBytes)
        let params = ClientAPI.InvokeParams(functionName: "bench", payload: Data(payload).base64EncodedString())
        // Warm one instance per caller of the highest level, so no phase pays a cold start.
        let most = callerLevels.max() ?? 1
        try await Self.concurrently(most, total: most) { _ in
            _ = try await client.call(ClientAPI.Invoke.self, params)
            return .zero
        }

        let endpoints = try await Self.warmEndpoints(workerPort: workerPort)
        let invoker = InstanceClient()
        let clock = ContinuousClock()

        // Each caller keeps to one instance in the direct phase, as the pool would give it one.
        func phase(callers: Int, direct: Bool, calls: Int) async throws -> Phase {
            let started = clock.now
            let samples = try await Self.concurrently(callers, total: calls) { caller in
                let began = clock.now
                if direct {
                    let request = InstanceRequest(endpoint: endpoints[caller % endpoints.count], body: payload, timeout: .seconds(10))
                    let response = try await invoker.send(request)
                    precondition(response.body == payload, "direct: wrong answer")
                } else {
                    let result = try await client.call(ClientAPI.Invoke.self, params)
                    precondition(result.functionError == nil, "gateway: function error")
                }
                return clock.now - began
            }
            return Phase(samples: samples, elapsed: clock.now - started)
        }

        // Warm-up: connections, caches, the instances' first calls.
        _ = try await phase(callers: 1, direct: true, calls: min(invocations, 2000))
        _ = try await phase(callers: 1, direct: false, calls: min(invocations, 2000))
        var lines = [
            "shoal-bench gateway: \(invocations) warm invocations per path, \(payloadBytes)-byte payload, scripted instances, the two paths alternated in blocks, gateway pid \(gateway.pid), worker pid \(worker.pid)"
        ]
        for callers in callerLevels {
            var addedP50s: [Duration] = []
            var cpus: [Duration] = []
            var userCPUs: [Duration] = []
            var gatewayCPUs: [Duration] = []
            for run in 1...repeats {
                // The paths take turns in blocks, so a drift in the machine's speed (this VM's
                // p50 moves by tens of µs within a minute) falls on both, not on one path's phase.
                let block = max(Self.blockCalls, callers * 250)
                var direct = Phase()
                var through = Phase()
                var gatewayCPU = CPUTime()
                var workerCPU = CPUTime()
                var done = 0
                while done < invocations {
                    let calls = min(block, invocations - done)
                    direct += try await phase(callers: callers, direct: true, calls: calls)
                    let workerBefore = worker.cpuTime(excludingThread: ScriptedBackend.threadName)
                    let gatewayBefore = gateway.cpuTime()
                    through += try await phase(callers: callers, direct: false, calls: calls)
                    workerCPU = workerCPU + (worker.cpuTime(excludingThread: ScriptedBackend.threadName) - workerBefore)
                    gatewayCPU = gatewayCPU + (gateway.cpuTime() - gatewayBefore)
                    done += calls
                }
                let directSummary = direct.summary
                let throughSummary = through.summary
                let overheadCPU = (gatewayCPU + workerCPU) / invocations
                let gatewayPerCall = gatewayCPU.total / invocations
                addedP50s.append(throughSummary.p50 - directSummary.p50)
                cpus.append(overheadCPU.total)
                userCPUs.append(overheadCPU.user)
                gatewayCPUs.append(gatewayPerCall)
                let label = repeats > 1 ? "  \(callers) caller(s), run \(run):" : "  \(callers) caller(s):"
                lines.append("\(label) direct   \(directSummary)")
                lines.append("\(label) gateway  \(throughSummary)")
                lines.append(
                    "\(label) added p50 \(LatencySummary.micros(throughSummary.p50 - directSummary.p50)) µs, p99 \(LatencySummary.micros(throughSummary.p99 - directSummary.p99)) µs; gateway+worker CPU \(LatencySummary.micros(overheadCPU.total)) µs per invocation, \(LatencySummary.micros(overheadCPU.user)) µs of it user space (gateway \(LatencySummary.micros(gatewayPerCall)) µs)"
                )
            }
            if repeats > 1 {
                lines.append(
                    "  \(callers) caller(s), median of \(repeats): added p50 \(LatencySummary.micros(Self.median(addedP50s))) µs; gateway+worker CPU \(LatencySummary.micros(Self.median(cpus))) µs per invocation, \(LatencySummary.micros(Self.median(userCPUs))) µs of it user space (gateway \(LatencySummary.micros(Self.median(gatewayCPUs))) µs)"
                )
            }
        }
        await invoker.shutdown()
        await client.close()
        return lines.joined(separator: "\n")
    }

    /// Calls per block at one caller; a level of N callers takes blocks of at least 250 × N, so
    /// a block lasts about as long at every level and the ramps at its ends, where fewer
    /// callers run and caches are cold from the other path, stay a small part of it.
    static let blockCalls = 1_000

    /// The warm instances' endpoints, as the worker lists them.
    static func warmEndpoints(workerPort: Int) async throws -> [Endpoint] {
        let inspector = try await RPCConnection.connect(host: "127.0.0.1", port: workerPort)
        _ = try await inspector.call(WorkerAPI.Hello.self, .init(token: nil))
        let endpoints = try await inspector.call(WorkerAPI.WarmList.self, Empty()).instances.compactMap { instance -> Endpoint? in
            guard let text = instance.endpoint, let port = Int(text.split(separator: ":").last ?? "") else { return nil }
            return Endpoint(host: "127.0.0.1", port: port)
        }
        await inspector.close()
        guard !endpoints.isEmpty else { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "no warm instance"]) }
        return endpoints
    }

    /// One path's samples and the time its blocks took, summed over its blocks.
    struct Phase {
        var samples: [Duration] = []
        var elapsed: Duration = .zero

        var summary: LatencySummary { LatencySummary(samples: samples, elapsed: elapsed) }

        static func += (lhs: inout Phase, rhs: Phase) {
            lhs.samples += rhs.samples
            lhs.elapsed += rhs.elapsed
        }
    }

    private static func median(_ values: [Duration]) -> Duration {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// A zip holding one executable `bootstrap` (`#!/bin/sh`): the gateway refuses a
    /// provided function without one; scripted instances never run it.
    static let bootstrapZip =
        "UEsDBBQAAAAAAAAAIVAdnfsECgAAAAoAAAAJAAAAYm9vdHN0cmFwIyEvYmluL3NoClBLAQIUAxQAAAAAAAAAIVAdnfsECgAAAAoAAAAJAAAAAAAAAAAAAADtAQAAAABib290c3RyYXBQSwUGAAAAAAEAAQA3AAAAMQAAAAAA"

    /// `total` calls of `body` spread over `callers` tasks (each gets its caller number); every
    /// call's duration.
    @discardableResult
    static func concurrently(_ callers: Int, total: Int, _ body: @escaping @Sendable (Int) async throws -> Duration) async throws
        -> [Duration]
    {
        try await withThrowingTaskGroup(of: [Duration].self) { group in
            for caller in 0..<callers {
                let share = total / callers + (caller < total % callers ? 1 : 0)
                group.addTask {
                    var samples: [Duration] = []
                    samples.reserveCapacity(share)
                    for _ in 0..<share { samples.append(try await body(caller)) }
                    return samples
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }
}

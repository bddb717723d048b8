import Foundation
import ShoalProtocol
import ShoalWorker

/// The REST facade against the JSON-RPC API it translates onto: one `shoal worker --backend
/// scripted` and a `shoal gateway` in front of it, one warm function, and from this process, in
/// one run, the same call three ways, taking turns in blocks: direct to an instance (HTTP), the
/// REST Invoke on the gateway's HTTP port (the same keep-alive HTTP client, `InstanceClient`),
/// and the JSON-RPC `invoke` on its RPC port. Latency at each level of callers, invocations per
/// second, and the gateway's CPU per invocation for the two gateway paths.
struct RESTBenchmark {
    var invocations: Int
    var callerLevels: [Int]
    var payloadBytes: Int

    enum Path: String, CaseIterable {
        case direct, rest, rpc
    }

    func run() async throws -> String {
        try await GatewayBenchmark.withScriptedFleet { gateway, _, workerPort in
            try await measure(gateway: gateway, workerPort: workerPort)
        }
    }

    private func measure(gateway: BenchChild, workerPort: Int) async throws -> String {
        let ports = try await gateway.readyPorts()
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: ports.rpc)
        _ = try await client.call(
            ClientAPI.CreateFunction.self,
            .init(functionName: "bench", runtime: "provided.al2023", handler: "bootstrap", code: .init(zipFile: GatewayBenchmark.bootstrapZip)))
        let payload = BenchPayload.json(bytes: payloadBytes)
        let params = ClientAPI.InvokeParams(functionName: "bench", payload: Data(payload).base64EncodedString())
        let most = callerLevels.max() ?? 1
        try await GatewayBenchmark.concurrently(most, total: most) { _ in
            _ = try await client.call(ClientAPI.Invoke.self, params)
            return .zero
        }
        let endpoints = try await GatewayBenchmark.warmEndpoints(workerPort: workerPort)
        let invoker = InstanceClient()
        let gatewayHTTP = Endpoint(host: "127.0.0.1", port: ports.http)
        let restPath = "/2015-03-31/functions/bench/invocations"
        let clock = ContinuousClock()

        func phase(_ path: Path, callers: Int, calls: Int) async throws -> GatewayBenchmark.Phase {
            let started = clock.now
            let samples = try await GatewayBenchmark.concurrently(callers, total: calls) { caller in
                let began = clock.now
                switch path {
                case .direct:
                    let request = InstanceRequest(endpoint: endpoints[caller % endpoints.count], body: payload, timeout: .seconds(10))
                    let response = try await invoker.send(request)
                    precondition(response.body == payload, "direct: wrong answer")
                case .rest:
                    let response = try await invoker.send(
                        InstanceRequest(endpoint: gatewayHTTP, path: restPath, body: payload, timeout: .seconds(10)))
                    precondition(response.status == 200 && response.body == payload, "rest: status \(response.status)")
                case .rpc:
                    let result = try await client.call(ClientAPI.Invoke.self, params)
                    precondition(result.functionError == nil, "rpc: function error")
                }
                return clock.now - began
            }
            return GatewayBenchmark.Phase(samples: samples, elapsed: clock.now - started)
        }

        for path in Path.allCases { _ = try await phase(path, callers: 1, calls: min(invocations, 2000)) }
        var lines = [
            "shoal-bench rest: \(invocations) warm invocations per path, \(payloadBytes)-byte payload, scripted instances, the three paths alternated in blocks, gateway pid \(gateway.pid)"
        ]
        for callers in callerLevels {
            var phases: [Path: GatewayBenchmark.Phase] = [:]
            var gatewayCPU: [Path: CPUTime] = [:]
            let block = max(GatewayBenchmark.blockCalls, callers * 250)
            var done = 0
            while done < invocations {
                let calls = min(block, invocations - done)
                for path in Path.allCases {
                    let before = gateway.cpuTime()
                    phases[path, default: .init()] += try await phase(path, callers: callers, calls: calls)
                    gatewayCPU[path, default: CPUTime()] = gatewayCPU[path, default: CPUTime()] + (gateway.cpuTime() - before)
                }
                done += calls
            }
            let summary = phases.mapValues(\.summary)
            let cpu = gatewayCPU.mapValues { $0.total / invocations }
            for path in Path.allCases {
                let cpuText = path == .direct ? "" : ", gateway CPU \(LatencySummary.micros(cpu[path]!)) µs per invocation"
                lines.append("  \(callers) caller(s): \(path.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(summary[path]!)\(cpuText)")
            }
            let (rest, rpc) = (summary[.rest]!, summary[.rpc]!)
            lines.append(
                "  \(callers) caller(s): REST over JSON-RPC: p50 +\(LatencySummary.micros(rest.p50 - rpc.p50)) µs, throughput \(String(format: "%.2f", rest.perSecond / rpc.perSecond))×, gateway CPU \(String(format: "%.2f", Self.seconds(cpu[.rest]!) / Self.seconds(cpu[.rpc]!)))×"
            )
        }
        await invoker.shutdown()
        await client.close()
        return lines.joined(separator: "\n")
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

import Foundation
import ShoalProtocol

/// Echo-style round trips between a client and a server in this process, over real loopback
/// TCP, on the process's shared event loops (one per core), as `shoal` runs them.
struct RPCBenchmark {
    enum Echo: RPCMethod {
        struct Params: Codable, Sendable { var seq: Int; var text: String }
        typealias Result = Params
        static let name = "bench.echo"
    }

    var duration: Duration

    func run(callerLevels: [Int]) async throws -> String {
        var methods = RPCMethodTable()
        methods.register(Echo.self) { params, _ in params }
        let server = try await RPCServer.bind(host: "127.0.0.1", port: 0, methods: methods)
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port)
        var lines = ["shoal bench rpc: small echo calls over one loopback connection, \(duration) per level"]
        for callers in callerLevels {
            _ = try await measure(client: client, callers: callers, for: .seconds(1))
            let summary = try await measure(client: client, callers: callers, for: duration)
            lines.append("  \(callers) caller\(callers == 1 ? "" : "s"): \(summary)")
        }
        await client.close()
        await server.close()
        return lines.joined(separator: "\n")
    }

    private func measure(client: RPCConnection, callers: Int, for duration: Duration) async throws -> LatencySummary {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + duration
        let samples = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var samples: [Duration] = []
                    samples.reserveCapacity(100_000)
                    var seq = 0
                    while clock.now < deadline {
                        let params = Echo.Params(seq: seq, text: "caller \(caller)")
                        let began = clock.now
                        let answer = try await client.call(Echo.self, params)
                        samples.append(clock.now - began)
                        precondition(answer.seq == seq, "answer for the wrong call")
                        seq += 1
                    }
                    return samples
                }
            }
            var all: [Duration] = []
            for try await samples in group { all.append(contentsOf: samples) }
            return all
        }
        return LatencySummary(samples: samples, elapsed: clock.now - start)
    }
}

import Foundation
import ShoalProtocol

/// Echo round trips over one real loopback TCP connection from this process to a
/// `shoal-bench echo-server` child process, which it starts and stops by PID.
struct RPCBenchmark {
    enum Echo: RPCMethod {
        struct Params: Codable, Sendable {
            var seq: Int
            var text: String
        }
        typealias Result = Params
        static let name = "bench.echo"
    }

    static var methods: RPCMethodTable {
        var methods = RPCMethodTable()
        methods.register(Echo.self) { params, _ in params }
        return methods
    }

    var duration: Duration
    var repeats: Int

    func run(callerLevels: [Int]) async throws -> String {
        let server = BenchChild(benchArguments: ["echo-server", "--port", "0"])
        let client: RPCConnection
        do {
            client = try await RPCConnection.connect(host: "127.0.0.1", port: try await server.readyPort())
        } catch {
            await server.stop()
            throw error
        }
        var lines = ["shoal-bench rpc: small echo calls over one loopback connection to server pid \(server.pid), \(duration) per run"]
        for callers in callerLevels {
            _ = try await measure(client: client, callers: callers, for: .seconds(1))
            for run in 1...repeats {
                let summary = try await measure(client: client, callers: callers, for: duration)
                lines.append("  \(callers) caller\(callers == 1 ? "" : "s"), run \(run): \(summary)")
            }
        }
        await client.close()
        await server.stop()
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

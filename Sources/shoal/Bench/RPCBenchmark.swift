import Foundation
import NIOCore
import NIOPosix
import ShoalProtocol

/// Echo round trips over one real loopback TCP connection from this process to a
/// `shoal bench echo-server` child process, which it starts and stops by PID.
struct RPCBenchmark {
    enum Echo: RPCMethod {
        struct Params: Codable, Sendable { var seq: Int; var text: String }
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
        let port = try await Self.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        server.arguments = ["bench", "echo-server", "--port", "\(port)"]
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let client = try await Self.connect(port: port)
        var lines = ["shoal bench rpc: small echo calls over one loopback connection to server pid \(server.processIdentifier), \(duration) per run"]
        for callers in callerLevels {
            _ = try await measure(client: client, callers: callers, for: .seconds(1))
            for run in 1...repeats {
                let summary = try await measure(client: client, callers: callers, for: duration)
                lines.append("  \(callers) caller\(callers == 1 ? "" : "s"), run \(run): \(summary)")
            }
        }
        await client.close()
        return lines.joined(separator: "\n")
    }

    /// A port the kernel just handed out and released, for the child to bind.
    private static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    /// Connects once the child is listening (it needs a moment to start).
    private static func connect(port: Int) async throws -> RPCConnection {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            do {
                return try await RPCConnection.connect(host: "127.0.0.1", port: port)
            } catch where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
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

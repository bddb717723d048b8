import Foundation
import ShoalProtocol
import ShoalRuntimeInterface
import ShoalTestSupport
import Testing

/// `shoal up` as a real process on ephemeral loopback ports, with its own data directory.
///
/// `stop()` sends SIGTERM and waits; `leftovers()` lists every process still running whose
/// command line mentions the data directory (workers, RIEs, runtimes all do), which a test
/// expects to be none.
struct ShoalUp: Sendable {
    struct NotReady: Error, CustomStringConvertible {
        var description: String
    }

    let child: ChildProcess
    let dataDirectory: String
    let rpcPort: Int
    let httpPort: Int
    let pid: pid_t

    static func start(workers: Int, backend: String = "process", dataDirectory: String? = nil, extra: [String] = []) async throws -> ShoalUp {
        let directory = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("shoal-up-\(UUID().uuidString)").path
        let child = ChildProcess(
            arguments: [
                "up", "--workers", String(workers), "--backend", backend, "--rpc-port", "0", "--http-port", "0", "--data-dir", directory,
            ] + extra)
        // Workers print ready lines of their own into the same output: wait for up's.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let output = String(decoding: child.logs.contents, as: UTF8.self)
            if let line = output.split(separator: "\n").first(where: { $0.hasPrefix("shoal up rpc ") && $0.hasSuffix("ready") }),
                let pid = child.process.pid
            {
                let words = line.split(separator: " ")
                func port(after key: Substring) -> Int {
                    words.firstIndex(of: key).flatMap { Int(words[$0 + 1].split(separator: ":").last ?? "") } ?? 0
                }
                return ShoalUp(child: child, dataDirectory: directory, rpcPort: port(after: "rpc"), httpPort: port(after: "http"), pid: pid)
            }
            if child.process.pid.map({ kill($0, 0) != 0 }) ?? false { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        _ = await child.terminate()
        throw NotReady(description: "shoal up did not get ready: \(String(decoding: child.logs.contents.suffix(4096), as: UTF8.self))")
    }

    func connect(methods: RPCMethodTable = RPCMethodTable()) async throws -> RPCConnection {
        try await RPCConnection.connect(host: "127.0.0.1", port: rpcPort, methods: methods)
    }

    /// SIGTERM and wait; the exit status.
    @discardableResult
    func stop() async -> RuntimeProcess.Exit {
        await child.terminate()
    }

    /// Processes still running that belong to this Shoal (by data directory).
    func leftovers() -> [String] {
        ProcessScan.commandLines(containing: dataDirectory)
    }

    func removeData() {
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    /// Runs `body` against a fresh `shoal up`, then stops it and checks nothing is left.
    static func with<T>(workers: Int, backend: String = "process", extra: [String] = [], _ body: (ShoalUp) async throws -> T) async throws -> T {
        let up = try await start(workers: workers, backend: backend, extra: extra)
        defer { up.removeData() }
        let value: T
        do {
            value = try await body(up)
        } catch {
            await up.stop()
            throw error
        }
        #expect(await up.stop() == .status(0), "shoal up exits cleanly on SIGTERM")
        // Instances of a worker a test killed with SIGKILL stop on their own (ParentWatch polls
        // twice a second), so they may still be on their way out here.
        #expect(await eventually(timeout: .seconds(3)) { up.leftovers().isEmpty }, "left behind: \(up.leftovers())")
        return value
    }
}

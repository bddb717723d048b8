import Foundation
import NIOConcurrencyHelpers
import ShoalProtocol
import ShoalTestSupport
import Testing

@testable import ShoalWorker

/// `shoal worker` as a real process on an ephemeral loopback port.
@Suite struct WorkerProcessTests {
    @Test func theWorkerCommandServesTheAPIAndStopsOnSIGTERM() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-worker-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let worker = ChildProcess(
            arguments: ["worker", "--port", "0", "--backend", "scripted", "--data-dir", dataDir.path],
            environment: ["SHOAL_TOKEN": "from-env", "SHOAL_MAX_CONCURRENCY": "3"]
        )
        let (_, port, workerPID) = try await worker.ready()

        let client = try await RPCConnection.connect(host: "127.0.0.1", port: port)
        let hello = try await client.call(WorkerAPI.Hello.self, .init(token: "from-env"))
        #expect(hello.pid == Int(workerPID) && hello.backend == "scripted" && hello.maxConcurrency == 3)

        let zip = TestZip.make(["bootstrap": "#!/bin/sh\n"])
        let sha = TestZip.sha256(zip)
        _ = try await client.call(WorkerAPI.PutArtifact.self, .init(sha256: sha, zipFile: Data(zip).base64EncodedString()))
        #expect(FileManager.default.fileExists(atPath: dataDir.appendingPathComponent("artifacts/\(sha).zip").path))
        let function = FunctionDefinition(name: "hello", runtime: "provided.al2023", handler: "bootstrap", codeSHA256: sha)
        _ = try await client.call(WorkerAPI.PutFunction.self, .init(function: function))
        for round in 0..<3 {
            let result = try await client.call(
                WorkerAPI.Invoke.self, .init(functionName: "hello", payload: Data("round \(round)".utf8).base64EncodedString()))
            #expect(Data(base64Encoded: result.payload) == Data("round \(round)".utf8))
            #expect(result.coldStart == (round == 0))
        }
        await client.close()
        #expect(await worker.terminate() == .status(0), "the worker must exit cleanly on SIGTERM")
    }

    @Test func theDefaultProcessBackendRunsRealFunctionsAndStreamsThemToTheCaller() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-worker-\(UUID().uuidString)")
        defer { CodeUnpacker.removeTree(dataDir) }
        let worker = ChildProcess(arguments: ["worker", "--port", "0", "--data-dir", dataDir.path])
        let (ready, port, workerPID) = try await worker.ready()
        #expect(ready.contains("backend process"))

        let chunks = NIOLockedValueBox<[(Int64, String)]>([])
        var methods = RPCMethodTable()
        methods.on(WorkerAPI.InvokeChunk.self) { params, _ in
            let text = String(decoding: Data(base64Encoded: params.payload) ?? Data(), as: UTF8.self)
            chunks.withLockedValue { $0.append((Int64(Date().timeIntervalSince1970 * 1000), text)) }
        }
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: port, methods: methods)
        _ = try await client.call(WorkerAPI.Hello.self, .init(token: nil))
        let source = """
            exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
              for (let i = 0; i < 5; i++) {
                responseStream.write(`part ${i} at ${Date.now()};`);
                await new Promise((resolve) => setTimeout(resolve, 400));
              }
              responseStream.end();
            });
            """
        let zip = try ArchiveBuilder.bytes([.file("index.js", source)])
        let sha = TestZip.sha256(zip)
        _ = try await client.call(WorkerAPI.PutArtifact.self, .init(sha256: sha, zipFile: Data(zip).base64EncodedString()))
        let function = FunctionDefinition(name: "streamer", runtime: "nodejs20.x", handler: "index.handler", codeSHA256: sha)
        _ = try await client.call(WorkerAPI.PutFunction.self, .init(function: function))
        let result = try await client.call(
            WorkerAPI.InvokeStream.self, .init(functionName: "streamer", payload: Data("{}".utf8).base64EncodedString()))
        #expect(result.statusCode == 200 && result.functionError == nil && result.coldStart)
        let received = chunks.withLockedValue { $0 }
        let parts = received.map(\.1).joined().split(separator: ";")
        #expect(parts.map { $0.split(separator: " ").prefix(2).joined(separator: " ") } == ["part 0", "part 1", "part 2", "part 3", "part 4"])
        let lastWritten = try #require(parts.last.flatMap { Int64($0.split(separator: " ").last ?? "") })
        let firstArrival = try #require(received.first?.0)
        #expect(firstArrival < lastWritten, "the first chunk arrived at \(firstArrival); the last was written at \(lastWritten)")

        let sessions = try await client.call(WorkerAPI.WarmList.self, Empty()).instances
        #expect(sessions.count == 1 && sessions.first?.backend == "process")
        await client.close()
        // Each instance is an RIE child of the worker leading its own session (RIE + runtime).
        let instanceSessions = Self.children(of: workerPID)
        #expect(instanceSessions.count == 1)
        #expect(instanceSessions.allSatisfy { SessionSweep.members(of: $0).count >= 2 }, "an RIE and its node runtime")
        #expect(await worker.terminate() == .status(0), "the worker must exit cleanly on SIGTERM")
        #expect(await eventually { instanceSessions.allSatisfy { SessionSweep.members(of: $0).isEmpty } }, "no instance process is left")
    }

    @Test func aWorkerWithoutADataDirectoryRemovesTheOneItMadeWhenItStops() async throws {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-tmpdir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer { CodeUnpacker.removeTree(temporary) }
        let worker = ChildProcess(arguments: ["worker", "--port", "0"], environment: ["TMPDIR": temporary.path])
        let (_, port, pid) = try await worker.ready()
        let own = temporary.appendingPathComponent("shoal-worker-\(pid)")

        // A real deploy: uploaded code, a read-only unpacked tree, the runtime loops.
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: port)
        let result = try await Self.deployAndInvokeEcho(client, payload: "{}")
        #expect(result.functionError == nil)
        let made = (try? FileManager.default.contentsOfDirectory(atPath: own.path)) ?? []
        #expect(Set(made).isSuperset(of: ["artifacts", "deploys", "runtimes"]), "the worker's own directory holds \(made)")
        await client.close()

        #expect(await worker.terminate() == .status(0))
        #expect(!FileManager.default.fileExists(atPath: own.path), "left behind: \(own.path)")
    }

    /// A worker killed with SIGKILL cannot clean up after itself: the next worker on the
    /// machine removes its memory cgroups and its temporary directory.
    @Test func theNextWorkerSweepsWhatAKilledWorkerLeft() async throws {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-tmpdir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer { CodeUnpacker.removeTree(temporary) }
        let killed = ChildProcess(arguments: ["worker", "--port", "0"], environment: ["TMPDIR": temporary.path])
        let (_, port, pid) = try await killed.ready()
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: port)
        #expect(try await Self.deployAndInvokeEcho(client, payload: "{}").functionError == nil)
        await client.close()
        let cgroupRoot = "/sys/fs/cgroup/memory/shoal"
        let cgroups = { (try? FileManager.default.contentsOfDirectory(atPath: cgroupRoot))?.filter { $0.hasPrefix("worker-\(pid)-") } ?? [] }
        let limitsMemory = FileManager.default.isWritableFile(atPath: "/sys/fs/cgroup/memory/cgroup.procs")
        #expect(!limitsMemory || cgroups().count == 1, "the worker keeps its instances' cgroups in one directory of its own")

        kill(pid, SIGKILL)
        _ = await killed.process.exited
        let data = temporary.appendingPathComponent("shoal-worker-\(pid)")
        #expect(FileManager.default.fileExists(atPath: data.path) && (!limitsMemory || cgroups().count == 1), "SIGKILL leaves them behind")

        let next = ChildProcess(arguments: ["worker", "--port", "0"], environment: ["TMPDIR": temporary.path])
        _ = try await next.ready()
        #expect(cgroups().isEmpty, "left: \(cgroups())")
        #expect(!FileManager.default.fileExists(atPath: data.path), "left: \(data.path)")
        #expect(await next.terminate() == .status(0))
        // The killed worker's instance stops on its own once it sees its parent gone.
        #expect(
            await eventually { ProcessScan.commandLines(containing: data.path).isEmpty }, "left: \(ProcessScan.commandLines(containing: data.path))")
    }

    /// A parent may send SIGTERM the moment it reads the ready line: the signal is handled from
    /// before that line is written, so the worker stops cleanly at once, every time.
    @Test func sigtermRightAfterTheReadyLineStopsTheWorkerCleanly() async throws {
        for _ in 0..<10 {
            let worker = ChildProcess(arguments: ["worker", "--port", "0"])
            _ = try await worker.ready()
            let started = ContinuousClock.now
            #expect(await worker.terminate() == .status(0))
            #expect(ContinuousClock.now - started < .seconds(3), "it took \(ContinuousClock.now - started)")
        }
    }

    /// Anyone who reaches a worker's port can deploy and run code: off loopback, a token is a must.
    @Test func aWorkerOffLoopbackRefusesToStartWithoutAToken() async throws {
        let worker = ChildProcess(arguments: ["worker", "--port", "0", "--host", "0.0.0.0"])
        let exit = await worker.process.exited
        #expect(exit != .status(0))
        #expect(String(decoding: worker.logs.contents, as: UTF8.self).contains("needs a token"))
    }

    /// Says hello, deploys a Python function `echo` that returns its event, invokes it once.
    static func deployAndInvokeEcho(_ client: RPCConnection, payload: String) async throws -> WorkerAPI.Invoke.Result {
        let zip = try ArchiveBuilder.bytes([.file("app.py", "def handler(event, context):\n    return event\n")])
        try await WorkerDeploy.deploy(client, name: "echo", runtime: "python3.12", handler: "app.handler", zip: zip)
        return try await client.call(WorkerAPI.Invoke.self, .init(functionName: "echo", payload: Data(payload.utf8).base64EncodedString()))
    }

    /// The worker's direct children (live ones).
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { candidate in
            guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
                let after = stat.range(of: ") ", options: .backwards)?.upperBound
            else { return false }
            let fields = stat[after...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid
        }
    }
}

import Foundation
import ShoalProtocol
import Testing
@testable import ShoalWorker

/// `shoal worker` as a real process on an ephemeral loopback port.
@Suite struct WorkerProcessTests {
    @Test func theWorkerCommandServesTheAPIAndStopsOnSIGTERM() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-worker-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let worker = try ChildProcess(
            arguments: ["worker", "--port", "0", "--backend", "scripted", "--data-dir", dataDir.path],
            environment: ["SHOAL_TOKEN": "from-env", "SHOAL_MAX_CONCURRENCY": "3"]
        )
        let ready = try await worker.line(containing: "ready")
        let port = try #require(ready.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") }.flatMap { Int($0.split(separator: ":")[1]) })

        let client = try await RPCConnection.connect(host: "127.0.0.1", port: port)
        let hello = try await client.call(WorkerAPI.Hello.self, .init(token: "from-env"))
        #expect(hello.pid == Int(worker.pid) && hello.backend == "scripted" && hello.maxConcurrency == 3)

        let zip = TestZip.make(["bootstrap": "#!/bin/sh\n"])
        let sha = TestZip.sha256(zip)
        _ = try await client.call(WorkerAPI.PutArtifact.self, .init(sha256: sha, zipFile: Data(zip).base64EncodedString()))
        #expect(FileManager.default.fileExists(atPath: dataDir.appendingPathComponent("artifacts/\(sha).zip").path))
        let function = FunctionDefinition(name: "hello", runtime: "provided.al2023", handler: "bootstrap", codeSHA256: sha)
        _ = try await client.call(WorkerAPI.PutFunction.self, .init(function: function))
        for round in 0..<3 {
            let result = try await client.call(WorkerAPI.Invoke.self, .init(functionName: "hello", payload: Data("round \(round)".utf8).base64EncodedString()))
            #expect(Data(base64Encoded: result.payload) == Data("round \(round)".utf8))
            #expect(result.coldStart == (round == 0))
        }
        await client.close()
        #expect(await worker.terminate(), "the worker must exit on SIGTERM")
        #expect(worker.process.terminationStatus == 0)
    }
}

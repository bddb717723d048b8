import Foundation
import NIOConcurrencyHelpers
import ShoalProtocol
import ShoalTestSupport
import Testing

@testable import ShoalWorker

/// The worker's JSON-RPC service on a real socket, with the scripted backend's real HTTP
/// instances behind it.
@Suite struct WorkerServiceTests {
    struct Harness {
        let server: RPCServer
        let pools: WarmPoolManager
        let invoker: InstanceClient
        let backend: ScriptedBackend
        let directory: URL

        func connect(token: String? = "s3cret", methods: RPCMethodTable = RPCMethodTable()) async throws -> RPCConnection {
            let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port, methods: methods)
            if let token { _ = try await client.call(WorkerAPI.Hello.self, .init(token: token)) }
            return client
        }

        func stop() async {
            await server.close()
            await pools.shutdown()
            await invoker.shutdown()
            await backend.stopAll()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    private func start() async throws -> Harness {
        let backend = ScriptedBackend()
        let invoker = InstanceClient()
        let pools = WarmPoolManager(backend: backend, invoker: invoker)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-test-\(UUID().uuidString)")
        let service = WorkerService(
            configuration: .init(workerID: "w-test", token: "s3cret"), pools: pools,
            artifacts: try ArtifactStore(directory: directory), backend: backend
        )
        let server = try await RPCServer.bind(port: 0, methods: service.methods)
        return Harness(server: server, pools: pools, invoker: invoker, backend: backend, directory: directory)
    }

    /// Uploads a code zip and defines `name` on it; returns the deploy id.
    private func deploy(_ name: String, on client: RPCConnection, code: String = "v1") async throws -> String {
        let zip = TestZip.make(["app.py": "# \(code)"])
        let sha = TestZip.sha256(zip)
        _ = try await client.call(WorkerAPI.PutArtifact.self, .init(sha256: sha, zipFile: Data(zip).base64EncodedString()))
        let function = FunctionDefinition(name: name, runtime: "python3.12", handler: "app.handler", codeSHA256: sha)
        return try await client.call(WorkerAPI.PutFunction.self, .init(function: function)).deployId
    }

    private func payload(_ json: String) -> String { Data(json.utf8).base64EncodedString() }

    @Test func aWrongTokenIsRefusedAndTheConnectionClosed() async throws {
        let harness = try await start()
        let stranger = try await harness.connect(token: nil)
        let early = await #expect(throws: RPCError.self) { try await stranger.call(WorkerAPI.Stats.self, Empty()) }
        #expect(early?.data?.reason == "unauthorized")
        let wrong = await #expect(throws: RPCError.self) { try await stranger.call(WorkerAPI.Hello.self, .init(token: "guess")) }
        #expect(wrong?.code == .invalidRequest && wrong?.data?.reason == "unauthorized")
        #expect(await eventually { stranger.isClosed })
        let friend = try await harness.connect()
        #expect(try await friend.call(WorkerAPI.Stats.self, Empty()).workerId == "w-test")
        await friend.close()
        await harness.stop()
    }

    @Test func deployAndInvokeWarmAndCold() async throws {
        let harness = try await start()
        let client = try await harness.connect()
        let deployId = try await deploy("echo", on: client)
        let first = try await client.call(WorkerAPI.Invoke.self, .init(functionName: "echo", deployId: deployId, payload: payload(#"{"tag":"one"}"#)))
        #expect(first.statusCode == 200 && first.coldStart && first.functionError == nil)
        #expect(Data(base64Encoded: first.payload) == Data(#"{"tag":"one"}"#.utf8))
        let second = try await client.call(WorkerAPI.Invoke.self, .init(functionName: "echo", payload: payload(#"{"tag":"two"}"#)))
        #expect(!second.coldStart && second.instanceId == first.instanceId)
        let stats = try await client.call(WorkerAPI.Stats.self, Empty())
        #expect(stats.invocations["echo"] == 2 && stats.coldStarts == 1 && stats.inFlight == 0)
        let warm = try await client.call(WorkerAPI.WarmList.self, Empty()).instances
        #expect(warm.map(\.functionName) == ["echo"] && warm.first?.busy == false && warm.first?.backend == "scripted")
        #expect(try await client.call(WorkerAPI.WarmEvict.self, .init(functionName: "echo")).evicted)
        let emptied = await eventually {
            let instances = try? await client.call(WorkerAPI.WarmList.self, Empty()).instances
            return instances?.isEmpty == true
        }
        #expect(emptied)
        await client.close()
        await harness.stop()
    }

    @Test func streamedInvokeSendsChunksBeforeTheResult() async throws {
        let harness = try await start()
        let chunks = NIOLockedValueBox<[String]>([])
        var methods = RPCMethodTable()
        methods.on(WorkerAPI.InvokeChunk.self) { params, _ in
            chunks.withLockedValue { $0.append(String(decoding: Data(base64Encoded: params.payload)!, as: UTF8.self)) }
        }
        let client = try await harness.connect(methods: methods)
        _ = try await deploy("streamer", on: client)
        let result = try await client.call(
            WorkerAPI.InvokeStream.self, .init(functionName: "streamer", payload: payload(#"{"chunks":5,"intervalMs":50}"#)))
        #expect(result.statusCode == 200 && result.payload.isEmpty)
        let lines = chunks.withLockedValue { $0.joined() }.split(separator: "\n")
        #expect(lines.map { $0.split(separator: " ").prefix(2).joined(separator: " ") } == (0..<5).map { "chunk \($0)" })
        await client.close()
        await harness.stop()
    }

    @Test func cancelAbortsTheInvocationAndRecyclesTheInstance() async throws {
        let harness = try await start()
        let client = try await harness.connect()
        _ = try await deploy("slow", on: client)
        let call = Task {
            try await client.call(
                WorkerAPI.Invoke.self, .init(functionName: "slow", payload: payload(#"{"tag":"slow","sleepMs":5000}"#), invocationId: "inv-1"))
        }
        #expect(await eventually { harness.backend.ledger.executions.contains("slow") })
        let controller = try await harness.connect()
        #expect(try await controller.call(WorkerAPI.CancelInvocation.self, .init(invocationId: "inv-1")).cancelled)
        let error = await #expect(throws: RPCError.self) { try await call.value }
        #expect(error?.code == .cancelled)
        let recycled = await eventually {
            let stats = try? await client.call(WorkerAPI.Stats.self, Empty())
            return stats?.terminations == 1
        }
        #expect(recycled)
        let next = try await client.call(WorkerAPI.Invoke.self, .init(functionName: "slow", payload: payload(#"{"tag":"next"}"#)))
        #expect(next.coldStart)
        #expect(try await controller.call(WorkerAPI.CancelInvocation.self, .init(invocationId: "inv-1")).cancelled == false)
        await client.close()
        await controller.close()
        await harness.stop()
    }

    @Test func badInputGetsTheContractErrorsAndTheWorkerKeepsServing() async throws {
        let harness = try await start()
        let client = try await harness.connect()
        let deployId = try await deploy("ok", on: client)
        func expectError(_ type: String, reason: String? = nil, _ call: () async throws -> Void) async {
            do {
                try await call()
                Issue.record("expected \(type)")
            } catch let error as RPCError {
                #expect(error.data?.type == type, "\(error)")
                if let reason { #expect(error.data?.reason == reason, "\(error)") }
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        await expectError("ResourceNotFoundException") {
            _ = try await client.call(WorkerAPI.Invoke.self, .init(functionName: "missing", payload: ""))
        }
        await expectError("ResourceNotFoundException", reason: "unknown deploy") {
            _ = try await client.call(WorkerAPI.Invoke.self, .init(functionName: "ok", deployId: "stale", payload: ""))
        }
        await expectError("InvalidParameterValueException") {
            _ = try await client.call(WorkerAPI.Invoke.self, .init(functionName: "ok", payload: "***not base64***"))
        }
        let zip = TestZip.make(["a": "b"])
        let corrupt = Array(zip.prefix(zip.count - 10))
        await expectError("InvalidParameterValueException") {
            _ = try await client.call(
                WorkerAPI.PutArtifact.self, .init(sha256: TestZip.sha256(corrupt), zipFile: Data(corrupt).base64EncodedString()))
        }
        await expectError("InvalidParameterValueException") {
            _ = try await client.call(
                WorkerAPI.PutArtifact.self, .init(sha256: String(repeating: "0", count: 64), zipFile: Data(zip).base64EncodedString()))
        }
        await expectError("InvalidParameterValueException") {
            _ = try await client.call(WorkerAPI.PutArtifact.self, .init(sha256: TestZip.sha256(zip), zipFile: "%%%"))
        }
        await expectError("ResourceNotFoundException", reason: "unknown artifact") {
            let function = FunctionDefinition(name: "ghost", runtime: "python3.12", handler: "h", codeSHA256: String(repeating: "a", count: 64))
            _ = try await client.call(WorkerAPI.PutFunction.self, .init(function: function))
        }
        await expectError("InvalidParameterValueException") {
            let function = FunctionDefinition(name: "bad name!", runtime: "python3.12", handler: "h", codeSHA256: TestZip.sha256(zip))
            _ = try await client.call(WorkerAPI.PutFunction.self, .init(function: function))
        }
        let oversized = Data(repeating: 0x61, count: 6 * 1024 * 1024 + 1).base64EncodedString()
        await expectError("RequestTooLargeException") {
            _ = try await client.call(WorkerAPI.Invoke.self, .init(functionName: "ok", payload: oversized))
        }
        let missing = try await client.call(
            WorkerAPI.MissingArtifacts.self, .init(sha256s: [TestZip.sha256(zip), String(repeating: "b", count: 64)]))
        #expect(missing.missing == [TestZip.sha256(zip), String(repeating: "b", count: 64)])
        // Still serving, on the same connection.
        let answer = try await client.call(WorkerAPI.Invoke.self, .init(functionName: "ok", deployId: deployId, payload: payload("fine")))
        #expect(Data(base64Encoded: answer.payload) == Data("fine".utf8))
        await client.close()
        await harness.stop()
    }

    @Test func tokenComparisonIsExact() {
        #expect(WorkerService.constantTimeEqual("s3cret", "s3cret"))
        #expect(!WorkerService.constantTimeEqual("s3cret", "s3cres"))
        #expect(!WorkerService.constantTimeEqual("s3cret", "s3cret!"))
        #expect(!WorkerService.constantTimeEqual("", "x"))
        #expect(WorkerService.constantTimeEqual("", ""))
    }
}

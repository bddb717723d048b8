import Foundation
import ShoalProtocol
import ShoalTestSupport
import Testing

/// `shoal gateway` alone, in front of a `shoal worker` started on its own.
@Suite struct GatewayCommandTests {
    /// A function that cannot start on its worker (no interpreter there) is a function error
    /// at invoke time, as AWS reports Runtime.InvalidEntrypoint; a provided function without a
    /// bootstrap is refused at create, where that can be known.
    @Test func aFunctionThatCannotStartIsAFunctionErrorAndAMissingBootstrapIsRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-gw-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let worker = ChildProcess(arguments: ["worker", "--port", "0", "--python", "/nonexistent/python3", "--data-dir", "\(directory)/worker"])
        let gateway: ChildProcess
        do {
            let workerPort = try await worker.ready().port
            gateway = ChildProcess(arguments: [
                "gateway", "--rpc-port", "0", "--http-port", "0", "--data-dir", "\(directory)/gateway", "--worker", "127.0.0.1:\(workerPort)",
            ])
        } catch {
            _ = await worker.terminate()
            throw error
        }
        do {
            let (line, port, _) = try await gateway.ready()
            #expect(line.hasPrefix("shoal gateway rpc 127.0.0.1:\(port) http 127.0.0.1:") && line.contains("workers 1 ready"), "\(line)")
            let client = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            try await client.createFunction("no-python", runtime: "python3.12", files: ["app.py": Handlers.echo])
            let (body, result) = try await client.invoke("no-python")
            #expect(result.functionError == "Unhandled" && result.statusCode == 200)
            #expect(body.contains(#""errorType":"Runtime.InvalidEntrypoint""#) && body.contains("no python3.12"), "\(body)")
            let refused = await #expect(throws: RPCError.self) {
                try await client.createFunction("no-bootstrap", runtime: "provided.al2023", handler: "h", files: ["README": "x"])
            }
            #expect(refused?.code == .invalidParams && refused?.message.hasPrefix("Runtime.InvalidEntrypoint") == true)
            await client.close()
        } catch {
            _ = await gateway.terminate()
            _ = await worker.terminate()
            throw error
        }
        #expect(await gateway.terminate() == .status(0))
        #expect(await worker.terminate() == .status(0))
    }
}

/// Discovery by DNS and redeploys through the gateway.
@Suite struct GatewayDiscoveryTests {
    /// `--workers-dns localhost:PORT`: every address of the name is a worker on PORT; the one
    /// that listens joins, and new code replaces the old on the next invoke.
    @Test func workersFoundThroughDNSServeAndUpdatedCodeRunsOnTheNextInvoke() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-dns-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let worker = ChildProcess(arguments: ["worker", "--port", "0", "--data-dir", "\(directory)/worker"])
        var gateway: ChildProcess?
        do {
            let workerPort = try await worker.ready().port
            let started = ChildProcess(arguments: [
                "gateway", "--rpc-port", "0", "--http-port", "0", "--data-dir", "\(directory)/gateway", "--workers-dns", "localhost:\(workerPort)",
            ])
            gateway = started
            let port = try await started.ready().port
            let client = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            #expect(
                await eventually {
                    let workers = (try? await client.call(ClientAPI.WorkersList.self, Empty()).workers) ?? []
                    return workers.contains { $0.address == "127.0.0.1:\(workerPort)" && $0.state == "up" }
                }, "the worker behind localhost joined")

            try await client.createFunction("versioned", files: ["app.py": "def handler(event, context):\n    return 'v1'\n"])
            #expect(try await client.invoke("versioned").body == "\"v1\"")
            _ = try await client.call(
                ClientAPI.UpdateFunctionCode.self,
                .init(
                    functionName: "versioned",
                    zipFile: Data(TestZip.make(["app.py": "def handler(event, context):\n    return 'v2'\n"])).base64EncodedString()
                ))
            #expect(try await client.invoke("versioned").body == "\"v2\"")
            _ = try await client.call(
                ClientAPI.UpdateFunctionConfiguration.self,
                .init(functionName: "versioned", environment: .init(variables: ["GREETING": "hi"]), description: "env"))
            let configuration = try await client.call(ClientAPI.GetFunction.self, .init(functionName: "versioned"))
            #expect(configuration.environment.variables == ["GREETING": "hi"] && configuration.description == "env")
            #expect(try await client.invoke("versioned").body == "\"v2\"")
            let warm = try await client.call(ClientAPI.WarmList.self, Empty()).instances.filter { $0.functionName == "versioned" }
            #expect(warm.count == 1, "instances of old deploys were retired: \(warm)")
            _ = try await client.call(ClientAPI.DeleteFunction.self, .init(functionName: "versioned"))
            #expect(try await client.call(ClientAPI.WarmList.self, Empty()).instances.isEmpty)
            await #expect(throws: RPCError.self) { _ = try await client.invoke("versioned") }
            await client.close()
        } catch {
            _ = await gateway?.terminate()
            _ = await worker.terminate()
            throw error
        }
        #expect(await gateway?.terminate() == .status(0))
        #expect(await worker.terminate() == .status(0))
    }
}

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

/// The ring holds worker ids: a worker that comes back under its id at another address (a
/// restarted replica with a new IP) takes its functions back.
@Suite struct WorkerIdentityTests {
    /// A loopback port nothing listens on now (bound, then released).
    static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func aWorkerBackUnderItsIdAtAnotherAddressTakesItsFunctionsBack() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-ids-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func worker(_ id: String, port: Int) -> ChildProcess {
            ChildProcess(arguments: [
                "worker", "--port", String(port), "--worker-id", id, "--backend", "scripted", "--data-dir", "\(directory)/\(id)-\(port)",
            ])
        }
        let alpha = worker("alpha", port: 0)
        let beta = worker("beta", port: 0)
        let alphaPort = try await alpha.ready().port
        let betaPort = try await beta.ready().port
        let laterPort = try Self.unusedPort()
        let gateway = ChildProcess(
            arguments: ["gateway", "--rpc-port", "0", "--http-port", "0", "--data-dir", "\(directory)/gateway"]
                + [alphaPort, betaPort, laterPort].flatMap { ["--worker", "127.0.0.1:\($0)"] })
        var again: ChildProcess?
        do {
            let client = try await RPCConnection.connect(host: "127.0.0.1", port: try await gateway.ready().port)
            func owners() async throws -> [String: String] {
                var owners: [String: String] = [:]
                for index in 0..<24 {
                    owners["f\(index)"] = try await client.call(ClientAPI.FunctionOwner.self, .init(functionName: "f\(index)")).worker
                }
                return owners
            }
            func up() async -> [String: String] {
                let workers = (try? await client.call(ClientAPI.WorkersList.self, Empty()).workers) ?? []
                return Dictionary(workers.filter { $0.state == "up" }.map { ($0.id, $0.address) }) { first, _ in first }
            }
            #expect(await eventually { await up().count == 2 })
            for index in 0..<24 {
                try await client.createFunction("f\(index)", runtime: "provided.al2023", handler: "bootstrap", files: ["bootstrap": "#!/bin/sh\n"])
            }
            let before = try await owners()
            #expect(Set(before.values) == ["alpha", "beta"], "\(before)")

            _ = await alpha.process.stop()
            #expect(await eventually(timeout: .seconds(10)) { await up().keys.sorted() == ["beta"] })
            #expect(Set(try await owners().values) == ["beta"])

            let back = worker("alpha", port: laterPort)
            again = back
            _ = try await back.ready()
            #expect(await eventually(timeout: .seconds(10)) { await up()["alpha"] == "127.0.0.1:\(laterPort)" }, "alpha is back at its new address")
            #expect(try await owners() == before, "alpha took its functions back")
            await client.close()
        } catch {
            _ = await gateway.terminate()
            throw error
        }
        #expect(await gateway.terminate() == .status(0))
        _ = await again?.terminate()
        _ = await beta.terminate()
    }
}

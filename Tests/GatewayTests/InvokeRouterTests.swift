import Foundation
import NIOConcurrencyHelpers
import ShoalProtocol
import ShoalTestSupport
import Testing

@testable import ShoalGateway

/// The failover rules of a warm invoke (the one relayed on the gateway's event loop) against
/// a stand-in worker on loopback that can forget a deploy or drop a call, through a gateway
/// started in this process.
@Suite struct InvokeRouterTests {
    /// A worker that keeps the deploys it was sent, answers `invoke` with the event it got,
    /// and closes the connection without answering an event of `"drop"`.
    final class StandIn: Sendable {
        struct Log {
            var deploys = 0
            var invokes: [String] = []
            var deployed: [String: String] = [:]
        }

        let log = NIOLockedValueBox(Log())
        let server: RPCServer

        init() async throws {
            var methods = RPCMethodTable()
            let log = log
            methods.register(WorkerAPI.Hello.self) { _, _ in
                .init(workerId: "stand-in", pid: 1, backend: "none", maxConcurrency: 8)
            }
            methods.register(WorkerAPI.Stats.self) { _, _ in
                .init(
                    workerId: "stand-in", functions: 0, instances: 0, busyInstances: 0, inFlight: 0,
                    coldStarts: 0, launchFailures: 0, terminations: 0, invocations: [:])
            }
            methods.register(WorkerAPI.MissingArtifacts.self) { _, _ in .init(missing: []) }
            methods.register(WorkerAPI.PutFunction.self) { params, _ in
                let id = params.function.deployID.rawValue
                log.withLockedValue {
                    $0.deploys += 1
                    $0.deployed[params.function.name] = id
                }
                return .init(deployId: id)
            }
            methods.register(WorkerAPI.Invoke.self) { params, context in
                // Each event is a JSON string (`echo`); the log keeps its text.
                let event = String(decoding: Data(base64Encoded: params.payload) ?? Data(), as: UTF8.self).trimmingCharacters(in: ["\""])
                let known = log.withLockedValue { log in
                    log.invokes.append(event)
                    return log.deployed[params.functionName] == params.deployId
                }
                guard known else { throw RPCError(.resourceNotFound, "no deploy \(params.deployId ?? "-") here", reason: "unknown deploy") }
                if event == "drop" {
                    await context.connection.close()
                    try await Task.sleep(for: .seconds(10))
                }
                return .init(
                    statusCode: 200, payload: params.payload, functionError: nil, instanceId: "i-1",
                    coldStart: false, attempts: 1, executedVersion: "$LATEST")
            }
            server = try await RPCServer.bind(port: 0, methods: methods)
        }

        func forgetDeploys() { log.withLockedValue { $0.deployed = [:] } }
    }

    private func withGateway(_ body: (StandIn, Gateway, RPCConnection) async throws -> Void) async throws {
        let worker = try await StandIn()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-router-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = Gateway.Configuration(dataDirectory: directory)
        configuration.rpcPort = 0
        configuration.httpPort = 0
        configuration.workers = [("127.0.0.1", worker.server.port)]
        let gateway = try await Gateway.start(configuration)
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: gateway.rpcPort)
        do {
            #expect(await gateway.workers.waitUntilUp(1, timeout: .seconds(5)))
            try await client.createFunction("relayed", runtime: "provided.al2023", handler: "bootstrap", files: ["bootstrap": "#!/bin/sh\n"])
            try await body(worker, gateway, client)
        } catch {
            Issue.record(error)
        }
        await client.close()
        await gateway.shutdown()
        await worker.server.close()
    }

    @Test func aWorkerThatLostTheDeployGetsItAgainAndTheWarmCallIsAnswered() async throws {
        try await withGateway { worker, _, client in
            let first = try await client.echo("first")
            #expect(first == "first")
            #expect(worker.log.withLockedValue { $0.deploys } == 1)
            // The gateway still believes the worker has the deploy, so the next call goes the
            // warm way and meets ResourceNotFound; it must send the deploy and call again.
            worker.forgetDeploys()
            let second = try await client.echo("second")
            #expect(second == "second")
            #expect(worker.log.withLockedValue { $0.deploys } == 2)
            #expect(worker.log.withLockedValue { $0.invokes } == ["first", "second", "second"])
            let third = try await client.echo("third")
            #expect(third == "third")
            #expect(worker.log.withLockedValue { $0.deploys } == 2, "a worker with the deploy is not sent it again")
        }
    }

    /// The warm way accounts a call after relaying its answer: each call is still counted once
    /// (a moment after its answer, hence `eventually`) and ends on its link.
    @Test func warmCallsAreCountedOnceEachAndEndOnTheirLink() async throws {
        try await withGateway { _, gateway, client in
            for index in 0..<20 {
                #expect(try await client.echo("call \(index)") == "call \(index)")
            }
            let link = try #require(gateway.workers.links.first)
            let labels = [("worker", link.id), ("type", "RequestResponse")]
            #expect(await eventually { gateway.metrics.value(.invocations, labels: labels) == 20 })
            #expect(await eventually { link.summary().inFlight == 0 })
            try await Task.sleep(for: .milliseconds(100))
            #expect(gateway.metrics.value(.invocations, labels: labels) == 20, "no call counted twice")
        }
    }

    @Test func aWorkerLostWithTheWarmCallInFlightIsAServiceErrorAndTheCallIsNotRepeated() async throws {
        try await withGateway { worker, gateway, client in
            let warm = try await client.echo("warm")
            #expect(warm == "warm")
            let error = await #expect(throws: RPCError.self) { try await client.echo("drop") }
            #expect(error?.data?.type == "ServiceException" && error?.data?.reason == "outcomeUnknown", "\(String(describing: error))")
            #expect(worker.log.withLockedValue { $0.invokes.filter { $0 == "drop" }.count } == 1)
            // The worker rejoins on a fresh connection and takes calls again.
            #expect(await eventually { (try? await client.echo("after")) == "after" })
            #expect(gateway.workers.links.first?.summary().inFlight == 0)
        }
    }
}

extension RPCConnection {
    /// Invokes "relayed" with `word` as a JSON string; the stand-in worker echoes it back.
    fileprivate func echo(_ word: String) async throws -> String {
        try await invoke("relayed", "\"\(word)\"").body.trimmingCharacters(in: ["\""])
    }
}

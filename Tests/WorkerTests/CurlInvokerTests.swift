import Foundation
import ShoalProtocol
import Testing
@testable import ShoalWorker

/// The libcurl invoker against real loopback HTTP instances.
@Suite struct CurlInvokerTests {
    private func request(_ server: ScriptedInstanceServer, _ json: String, timeout: Duration = .seconds(10)) -> InstanceRequest {
        InstanceRequest(endpoint: Endpoint(host: "127.0.0.1", port: server.port), body: Array(json.utf8), timeout: timeout)
    }

    @Test func chunksArriveAsTheInstanceWritesThem() async throws {
        let ledger = InstanceLedger()
        let server = try await ScriptedInstanceServer.start(instanceID: "s", ledger: ledger)
        let invoker = CurlInvoker()
        let started = ContinuousClock.now
        var arrivals: [Duration] = []
        var status = 0
        for try await part in invoker.stream(request(server, #"{"chunks":5,"intervalMs":200}"#)) {
            switch part {
            case .head(let code, _): status = code
            case .body(let bytes):
                let text = String(decoding: bytes, as: UTF8.self)
                for _ in text.split(separator: "\n") { arrivals.append(ContinuousClock.now - started) }
            case .trailers:
                Issue.record("the scripted instance sends no trailers")
            }
        }
        #expect(status == 200)
        #expect(arrivals.count == 5)
        // The first chunk must be in hand long before the last one is written (~800 ms).
        #expect(arrivals.first! < .milliseconds(400), "first chunk after \(arrivals.first!)")
        #expect(arrivals.last! >= .milliseconds(750))
        await invoker.shutdown()
        await server.stop()
    }

    @Test func aWarmInstanceReusesOneKeptAliveConnection() async throws {
        let ledger = InstanceLedger()
        let server = try await ScriptedInstanceServer.start(instanceID: "s", ledger: ledger)
        let invoker = CurlInvoker()
        for index in 0..<20 {
            let response = try await invoker.send(request(server, #"{"tag":"\#(index)"}"#))
            #expect(response.status == 200)
            #expect(response.headers["x-shoal-instance"] == "s")
        }
        #expect(ledger.requestsPerConnection == [20])
        await invoker.shutdown()
        await server.stop()
    }

    @Test func fiveHundredConcurrentInFlightInvocations() async throws {
        let ledger = InstanceLedger()
        var servers: [ScriptedInstanceServer] = []
        for index in 0..<50 { servers.append(try await ScriptedInstanceServer.start(instanceID: "s\(index)", ledger: ledger)) }
        let invoker = CurlInvoker()
        let endpoints = servers.map { Endpoint(host: "127.0.0.1", port: $0.port) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for call in 0..<500 {
                group.addTask {
                    let body = #"{"tag":"call-\#(call)","sleepMs":300}"#
                    let response = try await invoker.send(InstanceRequest(endpoint: endpoints[call % 50], body: Array(body.utf8), timeout: .seconds(30)))
                    #expect(response.status == 200)
                    #expect(String(decoding: response.body, as: UTF8.self) == body)
                }
            }
            try await group.waitForAll()
        }
        #expect(ledger.executions.count == 500)
        #expect(ledger.peakTotal >= 400, "the invocations really were in flight together (peak \(ledger.peakTotal))")
        await invoker.shutdown()
        for server in servers { await server.stop() }
    }

    @Test func failuresAreClassifiedByWhetherTheRequestCouldHaveArrived() async throws {
        let invoker = CurlInvoker()
        let dead = DeadPort()
        defer { dead.close() }
        let refused = InstanceRequest(endpoint: Endpoint(host: "127.0.0.1", port: dead.port), body: [1], timeout: .seconds(5))
        let notDelivered = await #expect(throws: WorkerError.self) { try await invoker.send(refused) }
        #expect(notDelivered?.code == .notDelivered)

        let ledger = InstanceLedger()
        let server = try await ScriptedInstanceServer.start(instanceID: "s", ledger: ledger)
        let crashed = await #expect(throws: WorkerError.self) { try await invoker.send(request(server, #"{"crash":true}"#)) }
        #expect(crashed?.code == .transferFailed)
        let slow = await #expect(throws: WorkerError.self) {
            try await invoker.send(request(server, #"{"sleepMs":2000}"#, timeout: .milliseconds(300)))
        }
        #expect(slow?.code == .timedOut)
        await invoker.shutdown()
        await server.stop()
    }

    @Test func largeBodiesGoBothWays() async throws {
        let ledger = InstanceLedger()
        let server = try await ScriptedInstanceServer.start(instanceID: "s", ledger: ledger)
        let invoker = CurlInvoker()
        let padding = String(repeating: "p", count: 6 * 1024 * 1024)
        let body = #"{"tag":"big","pad":"\#(padding)"}"#
        let response = try await invoker.send(request(server, body))
        #expect(response.body.count == body.utf8.count)
        #expect(response.body == Array(body.utf8))
        await invoker.shutdown()
        await server.stop()
    }
}

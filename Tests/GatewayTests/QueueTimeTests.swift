import Foundation
import ShoalProtocol
import ShoalTestSupport
import Testing

/// Time a call spends waiting for an instance (its function at its cap) is not the function's
/// time: the timeout counts from when the runtime takes the event, the wait has its own bound
/// (`--max-queue-wait`, then TooManyRequestsException), and no instance is recycled for it.
@Suite(.serialized) struct QueueTimeTests {
    private func warmInstances(_ client: RPCConnection, of name: String) async throws -> [ClientAPI.WarmInstance] {
        try await client.call(ClientAPI.WarmList.self, Empty()).instances.filter { $0.functionName == name }
    }

    /// The reported case at a cap of 2: two warm instances busy with 2.8 s calls, and a third
    /// call that waits 2.8 s for one of them, then runs 2.8 s of its own within its timeout of 3.
    @Test func aCallThatQueuedStillGetsItsWholeTimeout() async throws {
        try await ShoalUp.with(workers: 1, extra: ["--max-concurrency", "2"]) { up in
            let client = try await up.connect()
            try await client.createFunction("busy", files: ["app.py": Handlers.echo], timeout: 3)
            let warmUp = (0..<2).map { index in Task { try await client.invoke("busy", #"{"id": "warm-\#(index)", "sleep": 0.5}"#) } }
            for call in warmUp { _ = try await call.value }
            #expect(try await warmInstances(client, of: "busy").count == 2)
            let calls = (0..<3).map { index in Task { try await client.invoke("busy", #"{"id": "call-\#(index)", "sleep": 2.8}"#) } }
            for call in calls {
                let (body, result) = try await call.value
                #expect(result.functionError == nil && body.contains("call-"), "\(body)")
            }
            #expect(try await warmInstances(client, of: "busy").count == 2, "no instance was recycled")
            await client.close()
        }
    }

    @Test func twoHundredCallsOverACapOfTenAllSucceedAndTenInstancesStayWarm() async throws {
        try await ShoalUp.with(workers: 1, extra: ["--max-concurrency", "10"]) { up in
            let client = try await up.connect()
            try await client.createFunction("crowd", files: ["app.py": Handlers.echo], timeout: 3)
            let calls = (0..<200).map { index in Task { try await client.invoke("crowd", #"{"id": "c\#(index)", "sleep": 0.3}"#) } }
            var failures: [String] = []
            for call in calls {
                do {
                    let (body, result) = try await call.value
                    if result.functionError != nil { failures.append(body) }
                } catch {
                    failures.append("\(error)")
                }
            }
            #expect(
                failures.isEmpty,
                "\(failures.count) of 200 failed; first: \(failures.first ?? ""); shoal up said: \(String(decoding: up.child.logs.contents.suffix(6000), as: UTF8.self))"
            )
            #expect(try await warmInstances(client, of: "crowd").count == 10, "the pool kept its 10 instances")
            await client.close()
        }
    }

    /// Past the maximum queue wait the call fails as AWS throttles (-32004, QueueWaitExceeded)
    /// and ran nowhere; the busy instance finishes its own call and stays warm.
    @Test func aCallOverTheMaximumQueueWaitIsThrottledAndRanNowhere() async throws {
        let marks = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-queue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: marks) }
        try await ShoalUp.with(workers: 1, extra: ["--max-concurrency", "1", "--max-queue-wait", "0.5"]) { up in
            let client = try await up.connect()
            try await client.createFunction("single", files: ["app.py": Handlers.echo], timeout: 5, environment: ["MARKS": marks.path])
            _ = try await client.invoke("single", #"{"id": "warm"}"#)
            let long = Task { try await client.invoke("single", #"{"id": "long", "sleep": 2}"#) }
            #expect(await eventually { FileManager.default.fileExists(atPath: marks.appendingPathComponent("long").path) })
            let started = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) { try await client.invoke("single", #"{"id": "throttled"}"#) }
            #expect(error?.code == .tooManyRequests && error?.data?.type == "TooManyRequestsException", "\(String(describing: error))")
            #expect(error?.data?.reason == "QueueWaitExceeded")
            #expect(ContinuousClock.now - started < .milliseconds(1500), "it gave up at the maximum queue wait")
            let (body, result) = try await long.value
            #expect(result.functionError == nil && body.contains("long"), "\(body)")
            #expect(!FileManager.default.fileExists(atPath: marks.appendingPathComponent("throttled").path), "the throttled call ran nowhere")
            let instances = try await warmInstances(client, of: "single")
            #expect(instances.count == 1 && instances[0].instanceId.hasSuffix("-1"), "the first instance is still the one: \(instances)")
            await client.close()
        }
    }
}

import Foundation
import NIOConcurrencyHelpers
import ShoalProtocol
import ShoalTestSupport
import Testing

@testable import ShoalWorker

/// The scheduling policy of a worker's event loops (`LoopScheduling` in the `shoal`
/// executable), read from /proc of a real `shoal worker` process.
@Suite struct LoopSchedulingTests {
    static let otherPolicy = 0
    static let batchPolicy = 3

    /// The policies of the worker's event loop threads (NIO's singleton group).
    static func loopPolicies(_ pid: pid_t) -> [Int] {
        ProcessScan.threads(of: pid).filter { $0.name.hasPrefix("NIO-SGLTN-") }.map(\.policy)
    }

    /// A worker with the scripted backend and one function, `hello`, deployed.
    static func startWorker(scheduling: String) async throws -> (ChildProcess, RPCConnection, pid_t, URL) {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-worker-\(UUID().uuidString)")
        let worker = ChildProcess(
            arguments: ["worker", "--port", "0", "--backend", "scripted", "--max-concurrency", "32", "--data-dir", dataDir.path],
            environment: ["SHOAL_SCHEDULING": scheduling]
        )
        let (_, port, pid) = try await worker.ready()
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: port)
        try await WorkerDeploy.deploy(
            client, name: "hello", runtime: "provided.al2023", handler: "bootstrap", zip: TestZip.make(["bootstrap": "#!/bin/sh\n"]))
        return (worker, client, pid, dataDir)
    }

    /// Callers that invoke `hello` over and over until stopped.
    struct Callers {
        let stopped = NIOLockedValueBox(false)
        let load: Task<Void, any Error>

        init(_ count: Int, on client: RPCConnection) {
            let stopped = stopped
            load = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<count {
                        group.addTask {
                            while !stopped.withLockedValue({ $0 }) {
                                _ = try await client.call(WorkerAPI.Invoke.self, .init(functionName: "hello", payload: "e30="))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }

        func stop() async throws {
            stopped.withLockedValue { $0 = true }
            try await load.value
        }
    }

    @Test func theLoopsRunUnderSCHEDBATCHAtModerateLoadOnly() async throws {
        let (worker, client, pid, dataDir) = try await Self.startWorker(scheduling: "adaptive")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        _ = try await client.call(WorkerAPI.Invoke.self, .init(functionName: "hello", payload: ""))
        let idle = Self.loopPolicies(pid)
        #expect(!idle.isEmpty && idle.allSatisfy { $0 == Self.otherPolicy }, "idle loops keep the default policy: \(idle)")

        func all(_ policy: Int) async -> Bool {
            await eventually { Self.loopPolicies(pid).allSatisfy { $0 == policy } }
        }
        let sixteen = Callers(16, on: client)
        #expect(await all(Self.batchPolicy), "16 calls at once: SCHED_BATCH: \(Self.loopPolicies(pid))")
        let instanceThread = ProcessScan.threads(of: pid).filter { $0.name == ScriptedBackend.threadName }.map(\.policy)
        #expect(instanceThread == [Self.otherPolicy], "the instances' thread stands in for other processes: default policy")

        let thirtyTwo = Callers(16, on: client)
        #expect(await all(Self.otherPolicy), "32 calls at once, the cores saturated: SCHED_OTHER: \(Self.loopPolicies(pid))")
        try await thirtyTwo.stop()
        #expect(await all(Self.batchPolicy), "16 again: SCHED_BATCH: \(Self.loopPolicies(pid))")
        try await sixteen.stop()
        #expect(await all(Self.otherPolicy), "idle again: the default policy: \(Self.loopPolicies(pid))")

        await client.close()
        #expect(await worker.terminate() == .status(0))
    }

    @Test func instancesOfAWorkerUnderSCHEDBATCHRunUnderTheDefaultPolicy() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-worker-\(UUID().uuidString)")
        defer { CodeUnpacker.removeTree(dataDir) }
        let worker = ChildProcess(arguments: ["worker", "--port", "0", "--data-dir", dataDir.path], environment: ["SHOAL_SCHEDULING": "batch"])
        let (_, port, pid) = try await worker.ready()
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: port)
        let result = try await WorkerProcessTests.deployAndInvokeEcho(client, payload: #"{"n":1}"#)
        let echoed = try JSONSerialization.jsonObject(with: Data(base64Encoded: result.payload) ?? Data()) as? [String: Int]
        #expect(result.functionError == nil && echoed == ["n": 1])

        let loops = Self.loopPolicies(pid)
        #expect(!loops.isEmpty && loops.allSatisfy { $0 == Self.batchPolicy }, "SHOAL_SCHEDULING=batch: \(loops)")
        // Everything the worker started: RIEs, the Python fork server, and the runtimes it forked.
        var instances: [Int32] = []
        var pending = WorkerProcessTests.children(of: pid)
        while let next = pending.popLast() {
            instances.append(next)
            pending += WorkerProcessTests.children(of: next)
        }
        let policies = instances.flatMap { ProcessScan.threads(of: $0).map(\.policy) }
        #expect(instances.count >= 3 && !policies.isEmpty, "an RIE, its Python runtime and the fork server: \(instances)")
        #expect(policies.allSatisfy { $0 == Self.otherPolicy }, "instance threads' policies: \(policies)")
        await client.close()
        #expect(await worker.terminate() == .status(0))
    }

    @Test func anUnknownSchedulingModeStopsTheWorkerWithAUsageError() async throws {
        let worker = ChildProcess(arguments: ["worker", "--port", "0", "--backend", "scripted"], environment: ["SHOAL_SCHEDULING": "sometimes"])
        let exit = await worker.process.exited
        #expect(exit != .status(0))
        let output = String(decoding: worker.logs.contents, as: UTF8.self)
        #expect(output.contains("SHOAL_SCHEDULING must be adaptive, batch, normal"), "output: \(output)")
    }
}

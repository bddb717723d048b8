import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ShoalProtocol
import ShoalTestSupport
import Testing

@testable import ShoalWorker

/// The reference pool behaviours over real loopback sockets: real HTTP instances, the real
/// instance HTTP client, the real probe.
@Suite struct WarmPoolManagerTests {
    private func makeManager(
        _ backend: LoopbackBackend, cap: Int = 10, configure: (inout WarmPoolManager.Configuration) -> Void = { _ in }
    ) -> (WarmPoolManager, InstanceClient) {
        var configuration = WarmPoolManager.Configuration()
        configuration.pool = .init(maxInstances: cap)
        configure(&configuration)
        let invoker = InstanceClient()
        return (WarmPoolManager(backend: backend, invoker: invoker, configuration: configuration), invoker)
    }

    private func cleanUp(_ manager: WarmPoolManager, _ invoker: InstanceClient, _ backend: LoopbackBackend) async {
        await manager.shutdown()
        await invoker.shutdown()
        await backend.stopAll()
    }

    private func script(_ tag: String, sleepMs: Int = 0, crash: Bool = false) -> [UInt8] {
        Array(#"{"tag":"\#(tag)","sleepMs":\#(sleepMs),"crash":\#(crash)}"#.utf8)
    }

    private func function(_ name: String, code: String = "code-1", layers: [String] = []) -> FunctionDefinition {
        FunctionDefinition(name: name, runtime: "python3.12", handler: "app.handler", codeSHA256: code, layerSHA256s: layers)
    }

    @Test func concurrentInvokesAreSerializedOnASingleInstance() async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend, cap: 1)
        await manager.define(function("f"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask { _ = try await manager.invoke("f", payload: script("call \(index)", sleepMs: 20)) }
            }
            try await group.waitForAll()
        }
        #expect(backend.ledger.executions.count == 8)
        #expect(backend.ledger.peakPerInstance == 1)
        #expect(backend.ledger.peakTotal == 1)
        #expect(backend.launches.count == 1)
        await cleanUp(manager, invoker, backend)
    }

    @Test func thePoolScalesUnderLoadAndRespectsTheCap() async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend, cap: 4)
        await manager.define(function("f"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask { _ = try await manager.invoke("f", payload: script("call \(index)", sleepMs: 150)) }
            }
            try await group.waitForAll()
        }
        #expect((2...4).contains(backend.launches.count), "launches: \(backend.launches.count)")
        #expect(backend.ledger.peakTotal > 1)
        #expect(backend.ledger.peakTotal <= 4)
        #expect(backend.ledger.peakPerInstance == 1)
        await cleanUp(manager, invoker, backend)
    }

    @Test func anEventCallWaitingOnTheReservationRunsWhenAnotherVersionsCallEnds() async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend) { $0.maxQueueWait = .seconds(5) }
        await manager.define(function("f"))
        await manager.define(FunctionDefinition(name: "f", runtime: "python3.12", handler: "app.handler", codeSHA256: "code-v1", version: "1"))
        let started = ContinuousClock.now
        async let held = manager.invoke("f:1", payload: script("v1", sleepMs: 500), reservation: .init(limit: 1, waits: false))
        try await Task.sleep(for: .milliseconds(150))
        // The reservation of one is version 1's now: this Event call of $LATEST waits its turn.
        let event = try await manager.invoke("f", payload: script("latest"), reservation: .init(limit: 1, waits: true))
        let waited = ContinuousClock.now - started
        #expect(try await held.status == 200 && event.status == 200)
        #expect(waited >= .milliseconds(450) && waited < .seconds(3), "it ran once version 1's call ended: \(waited)")
        await cleanUp(manager, invoker, backend)
    }

    @Test func twoDeadInstancesThenALiveOneRecovers() async throws {
        let backend = LoopbackBackend(plan: [.dead, .dead, .live])
        let (manager, invoker) = makeManager(backend)
        await manager.define(function("f"))
        let outcome = try await manager.invoke("f", payload: script("recover"))
        #expect(outcome.status == 200)
        #expect(outcome.attempts == 3)
        #expect(backend.launches.count == 3)
        #expect(await eventually { backend.terminated.count == 2 })
        #expect(backend.ledger.executions == ["recover"])
        await cleanUp(manager, invoker, backend)
    }

    @Test func aBlackHoledInstanceFailsOverInUnderFiveSeconds() async throws {
        let backend = LoopbackBackend(plan: [.blackHole, .live])
        let (manager, invoker) = makeManager(backend)
        await manager.define(function("f"))
        let started = ContinuousClock.now
        let outcome = try await manager.invoke("f", payload: script("after black hole"))
        let elapsed = ContinuousClock.now - started
        #expect(outcome.status == 200 && outcome.attempts == 2)
        #expect(elapsed < .seconds(5), "took \(elapsed)")
        #expect(elapsed >= .milliseconds(1400), "the probe should have waited out its 1.5 s timeout")
        await cleanUp(manager, invoker, backend)
    }

    @Test func aWarmInstanceThatDiesBetweenCallsFailsOverEvenWithoutAProbe() async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend) { $0.probeFreshness = .seconds(60) }
        await manager.define(function("f"))
        let first = try await manager.invoke("f", payload: script("first"))
        // The instance dies behind the pool's back; the next call comes within the freshness
        // window, so no probe runs, and the kept-alive connection is dead.
        await backend.terminate(LaunchedInstance(instanceID: first.instanceID, endpoint: Endpoint(host: "127.0.0.1", port: 1), handle: ""))
        let second = try await manager.invoke("f", payload: script("second"))
        #expect(second.instanceID != first.instanceID)
        #expect(second.attempts == 2)
        #expect(backend.ledger.executions == ["first", "second"], "each handler ran exactly once")
        await cleanUp(manager, invoker, backend)
    }

    @Test func withZeroFreshnessEveryForwardIsProbed() async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend) { $0.probeFreshness = .zero }
        await manager.define(function("f"))
        for index in 0..<3 { _ = try await manager.invoke("f", payload: script("call \(index)")) }
        // Each probe is a TCP connection that carries no request; the invocations share one.
        #expect(backend.ledger.requestsPerConnection == [3])
        // Accepts are counted on the instance's event loops, possibly a moment after the answers.
        #expect(await eventually { backend.ledger.connectionsAccepted == 4 }, "three probes plus the kept-alive connection")
        await cleanUp(manager, invoker, backend)
    }

    @Test func aCodeChangeLaunchesAFreshInstanceAndTearsDownTheStaleOne() async throws {
        try await assertRedeploy(from: function("f", code: "code-1"), to: function("f", code: "code-2"))
    }

    @Test func aLayerChangeLaunchesAFreshInstanceAndTearsDownTheStaleOne() async throws {
        try await assertRedeploy(from: function("f", layers: ["layer-a"]), to: function("f", layers: ["layer-b"]))
    }

    private func assertRedeploy(from old: FunctionDefinition, to new: FunctionDefinition) async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend)
        await manager.define(old)
        let first = try await manager.invoke("f", payload: script("old"))
        #expect(try await manager.invoke("f", payload: script("old again")).instanceID == first.instanceID)
        await manager.define(new)
        let second = try await manager.invoke("f", payload: script("new"))
        #expect(second.instanceID != first.instanceID)
        #expect(second.coldStart)
        #expect(await eventually { backend.terminated == [first.instanceID] })
        #expect(await manager.list().map(\.instanceId) == [second.instanceID])
        await cleanUp(manager, invoker, backend)
    }

    @Test func deleteBySnapshotKeepsARacingRecreatesInstance() async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend)
        await manager.define(function("f"))
        // The old instance is busy when the delete comes, so its termination waits for the call.
        let slow = Task { try await manager.invoke("f", payload: script("old", sleepMs: 400)) }
        #expect(await eventually { backend.ledger.executions.contains("old") })
        await manager.remove("f")
        await manager.define(function("f"))
        let fresh = try await manager.invoke("f", payload: script("recreated"))
        let old = try await slow.value
        #expect(old.instanceID != fresh.instanceID)
        #expect(await eventually { backend.terminated == [old.instanceID] })
        #expect(backend.running == [fresh.instanceID])
        #expect(await manager.list().map(\.instanceId) == [fresh.instanceID])
        await cleanUp(manager, invoker, backend)
    }

    @Test func aFailureAfterTheRequestReachedTheHandlerIsNotRetried() async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend)
        await manager.define(function("f"))
        let error = await #expect(throws: WorkerError.self) {
            try await manager.invoke("f", payload: script("crasher", crash: true))
        }
        #expect(error?.code == .transferFailed)
        #expect(backend.ledger.executions == ["crasher"], "the handler ran exactly once")
        #expect(backend.launches.count == 1)
        #expect(await eventually { backend.terminated.count == 1 }, "the suspect instance is recycled")
        await cleanUp(manager, invoker, backend)
    }

    @Test func theIdleReaperRemovesOnlyFreeIdleInstances() async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend) {
            $0.idleTTL = .milliseconds(300)
            $0.reapInterval = .milliseconds(50)
        }
        await manager.define(function("idle"))
        await manager.define(function("busy"))
        let idle = try await manager.invoke("idle", payload: script("idle"))
        let busy = Task { try await manager.invoke("busy", payload: script("busy", sleepMs: 1_200)) }
        #expect(await eventually { backend.ledger.executions.contains("busy") })
        await manager.startReaper()
        #expect(await eventually { backend.terminated == [idle.instanceID] })
        let busyOutcome = try await busy.value
        #expect(!backend.terminated.contains(busyOutcome.instanceID), "busy for longer than the TTL, yet never reaped")
        await cleanUp(manager, invoker, backend)
    }

    @Test func twoHundredConcurrentCallsAcrossTwentyFunctionsLoseNoCall() async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend, cap: 5)
        for index in 0..<20 { await manager.define(function("fn-\(index)")) }
        let answers = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for call in 0..<200 {
                group.addTask {
                    let tag = "call-\(call)"
                    let outcome = try await manager.invoke("fn-\(call % 20)", payload: script(tag, sleepMs: Int.random(in: 0...30)))
                    let echoed = try JSONDecoder().decode(InstanceScript.self, from: Data(outcome.body))
                    return (tag, echoed.tag ?? "")
                }
            }
            var answers: [(String, String)] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
        #expect(answers.count == 200)
        #expect(answers.allSatisfy { $0.0 == $0.1 })
        #expect(Set(backend.ledger.executions).count == 200)
        let statistics = await manager.statistics(workerID: "w")
        #expect(statistics.invocations.values.reduce(0, +) == 200)
        #expect(statistics.inFlight == 0)
        await cleanUp(manager, invoker, backend)
    }

    @Test func fiveHundredConcurrentInFlightInvocationsOnOneWorker() async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend, cap: 10) { $0.pool.maxConcurrentLaunches = 10 }
        for index in 0..<50 { await manager.define(function("fn-\(index)")) }
        let completed = try await withThrowingTaskGroup(of: Bool.self) { group in
            for call in 0..<500 {
                group.addTask {
                    let outcome = try await manager.invoke("fn-\(call % 50)", payload: script("call-\(call)", sleepMs: 1000))
                    return outcome.status == 200
                }
            }
            var completed = 0
            for try await ok in group where ok { completed += 1 }
            return completed
        }
        #expect(completed == 500)
        #expect(backend.ledger.peakTotal >= 400, "peak in flight \(backend.ledger.peakTotal)")
        #expect(backend.launches.count == 500, "50 functions at their cap of 10")
        await cleanUp(manager, invoker, backend)
    }

    @Test func cancellingAnInvocationRecyclesTheInstance() async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend)
        await manager.define(function("f"))
        let call = Task { try await manager.invoke("f", payload: script("long", sleepMs: 5_000)) }
        #expect(await eventually { backend.ledger.executions.contains("long") })
        let started = ContinuousClock.now
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(ContinuousClock.now - started < .seconds(2), "cancel must abort the transfer, not wait for it")
        #expect(await eventually { backend.terminated.count == 1 })
        let next = try await manager.invoke("f", payload: script("next"))
        #expect(next.coldStart)
        #expect(backend.launches.count == 2)
        await cleanUp(manager, invoker, backend)
    }

    @Test(.timeLimit(.minutes(1))) func aCallCancelledWhileWaitingForAnInstanceNeverRunsAndLeavesNoWaiterBehind() async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend, cap: 1)
        await manager.define(function("f"))
        _ = try await manager.invoke("f", payload: script("warm"))
        // The one instance is busy; the second call queues for it, then its caller gives up.
        let busy = Task { try await manager.invoke("f", payload: script("busy", sleepMs: 400)) }
        #expect(await eventually { backend.ledger.executions.contains("busy") })
        let waiting = Task { try await manager.invoke("f", payload: script("cancelled")) }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        _ = try await busy.value
        // The instance goes to the next caller, not to the withdrawn one, and stays warm.
        let next = try await manager.invoke("f", payload: script("next"))
        #expect(!next.coldStart)
        #expect(backend.ledger.executions == ["warm", "busy", "next"])
        #expect(backend.launches.count == 1)
        await cleanUp(manager, invoker, backend)
    }

    @Test func unknownFunctionIsAClearError() async throws {
        let backend = LoopbackBackend()
        let (manager, invoker) = makeManager(backend)
        let error = await #expect(throws: WorkerError.self) { try await manager.invoke("nope", payload: []) }
        #expect(error?.code == .unknownFunction)
        #expect(error?.rpcError.data?.type == "ResourceNotFoundException")
        await cleanUp(manager, invoker, backend)
    }
}

import Foundation
import NIOConcurrencyHelpers
import ShoalProtocol
import ShoalTestSupport
import Testing

/// The gateway over real worker processes running real Python functions, all started by
/// `shoal up` on ephemeral loopback ports.
@Suite(.serialized) struct GatewayFleetTests {
    @Test func sixtyFunctionsAnswerCorrectlyAndSpreadOverEveryWorker() async throws {
        try await ShoalUp.with(workers: 3) { up in
            let client = try await up.connect()
            let names = (0..<60).map { "fleet-fn-\($0)" }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for slice in stride(from: 0, to: names.count, by: 10) {
                    group.addTask {
                        for name in names[slice..<slice + 10] {
                            try await client.createFunction(name, files: ["app.py": Handlers.echo])
                            let (body, result) = try await client.invoke(name, #"{"id": "\#(name)-call"}"#)
                            #expect(result.functionError == nil && result.statusCode == 200)
                            #expect(body.contains(#""function": "\#(name)""#) && body.contains(#""id": "\#(name)-call""#), "\(name) answered \(body)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            var owners: [String: Int] = [:]
            for name in names {
                owners[try await client.call(ClientAPI.FunctionOwner.self, .init(functionName: name)).worker, default: 0] += 1
            }
            #expect(owners.count == 3, "functions spread over \(owners)")
            let warm = try await client.call(ClientAPI.WarmList.self, Empty()).instances
            #expect(Set(warm.map(\.worker)).count == 3 && Set(warm.map(\.functionName)) == Set(names))
            let workers = try await client.call(ClientAPI.WorkersList.self, Empty()).workers
            #expect(workers.count == 3 && workers.allSatisfy { $0.state == "up" && $0.pid != nil })
            // Asked right after the invokes, the workers' figures agree with warm.list's.
            for worker in workers {
                let warmHere = warm.filter { $0.worker == worker.id }
                #expect(
                    worker.warmInstances == warmHere.count && worker.functions == Set(warmHere.map(\.functionName)).count,
                    "\(worker) against \(warmHere.count) warm")
            }
            let listed = try await client.call(ClientAPI.ListFunctions.self, .init(maxItems: 50))
            #expect(listed.functions.count == 50 && listed.nextMarker != nil)
            let rest = try await client.call(ClientAPI.ListFunctions.self, .init(marker: listed.nextMarker, maxItems: 50))
            #expect(rest.functions.count == 10 && rest.nextMarker == nil)
            await client.close()
        }
    }

    @Test func killingAWorkerMidStreamLosesNothingAndRunsNoHandlerTwice() async throws {
        let marks = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-marks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: marks) }
        try await ShoalUp.with(workers: 3) { up in
            let client = try await up.connect()
            let names = (0..<12).map { "failover-\($0)" }
            for name in names {
                try await client.createFunction(name, files: ["app.py": Handlers.echo], environment: ["MARKS": marks.path])
                _ = try await client.invoke(name, #"{"id": "warm-\#(name)"}"#)
            }
            let workers = try await client.call(ClientAPI.WorkersList.self, Empty()).workers
            let victim = try #require(workers.first { $0.id == "worker-2" })
            let victimPID = try #require(victim.pid)
            func owners() async throws -> [String] {
                var owners: [String] = []
                for name in names { owners.append(try await client.call(ClientAPI.FunctionOwner.self, .init(functionName: name)).worker) }
                return owners
            }
            // A worker that missed heartbeats while twelve Python instances started on two cores
            // is out of the ring until its next one: wait for the fleet to be whole again.
            var ownersBefore: [String] = []
            let whole = await eventually(timeout: .seconds(10)) {
                ownersBefore = (try? await owners()) ?? []
                return ownersBefore.contains("worker-2")
            }
            #expect(whole, "the victim owns some functions: \(ownersBefore)")
            let victimsFunction = names[try #require(ownersBefore.firstIndex(of: "worker-2"))]

            let outcomes = NIOLockedValueBox<[String: Bool]>([:])  // invocation id -> succeeded
            let stop = NIOLockedValueBox(false)
            let killedAt = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<4 {
                    group.addTask {
                        var round = 0
                        while !stop.withLockedValue({ $0 }) {
                            let name = names[(lane * 3 + round) % names.count]
                            let id = "lane\(lane)-\(round)"
                            round += 1
                            let ok = (try? await client.invoke(name, #"{"id": "\#(id)"}"#)).map { $0.result.functionError == nil } ?? false
                            outcomes.withLockedValue { $0[id] = ok }
                        }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(800))
                    kill(pid_t(victimPID), SIGKILL)
                    killedAt.withLockedValue { $0 = .now }
                    try await Task.sleep(for: .milliseconds(1500))
                    stop.withLockedValue { $0 = true }
                }
                try await group.waitForAll()
            }
            // Every function answers again within 3 s of the kill. Each is asked on its own, all at
            // once, so a slow cold start of one does not spend the others' time.
            let killed = try #require(killedAt.withLockedValue { $0 })
            let unanswered = await withTaskGroup(of: String?.self) { group in
                for name in names {
                    group.addTask {
                        var last = "no attempt within the time"
                        while ContinuousClock.now - killed < .seconds(3) {
                            let began = ContinuousClock.now
                            do {
                                let (body, result) = try await client.invoke(name, #"{"id": "after-\#(name)"}"#)
                                if result.functionError == nil { return nil }
                                last = "function error after \(ContinuousClock.now - began): \(body)"
                            } catch {
                                last = "\(error) after \(ContinuousClock.now - began)"
                            }
                        }
                        return "\(name), last attempt: \(last)"
                    }
                }
                return await group.compactMap { $0 }.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(unanswered.isEmpty, "did not answer within 3 s of the worker's death: \(unanswered)")
            // `shoal up` restarts the worker on its port; it rejoins and gets its functions back.
            #expect(await eventually(timeout: .seconds(10)) { (try? await owners()) == ownersBefore }, "functions return to the restarted worker")
            let (body, back) = try await client.invoke(victimsFunction, #"{"id": "rejoined"}"#)
            #expect(back.functionError == nil && body.contains("rejoined"))
            // No definition lost, no handler run twice, every success ran exactly once.
            let listed = try await client.call(ClientAPI.ListFunctions.self, .init()).functions.map(\.functionName)
            #expect(Set(listed) == Set(names))
            let results = outcomes.withLockedValue { $0 }
            #expect(results.count > 20, "a steady stream of invokes ran: \(results.count)")
            for (id, succeeded) in results {
                let runs = (try? String(contentsOf: marks.appendingPathComponent(id), encoding: .utf8))?.split(separator: "\n").count ?? 0
                #expect(runs <= 1, "invocation \(id) ran \(runs) times")
                if succeeded { #expect(runs == 1, "invocation \(id) succeeded but ran \(runs) times") }
            }
            await client.close()
        }
    }

    @Test func aRestartedGatewayStillHasEveryFunctionEvenAfterKillNine() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-durable-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await ShoalUp.start(workers: 1, dataDirectory: directory)
        let client = try await first.connect()
        let created = NIOLockedValueBox<Set<String>>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<4 {
                group.addTask {
                    for index in 0..<40 {
                        let name = "durable-\(lane)-\(index)"
                        guard (try? await client.createFunction(name, files: ["app.py": Handlers.echo])) != nil else { return }
                        created.withLockedValue { _ = $0.insert(name) }
                    }
                }
            }
            group.addTask {
                // kill -9 the whole `shoal up` while creates are being written.
                let deadline = ContinuousClock.now + .seconds(60)
                while created.withLockedValue({ $0.count }) < 20, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
                kill(first.pid, SIGKILL)
            }
            try await group.waitForAll()
        }
        await client.close()
        _ = await first.child.process.exited
        #expect(await eventually(timeout: .seconds(5)) { first.leftovers().isEmpty }, "workers follow their parent: \(first.leftovers())")

        let second = try await ShoalUp.start(workers: 2, dataDirectory: directory)
        let again = try await second.connect()
        let listed = Set(try await again.call(ClientAPI.ListFunctions.self, .init(maxItems: 1000)).functions.map(\.functionName))
        let confirmed = created.withLockedValue { $0 }
        #expect(confirmed.count >= 20 && confirmed.isSubset(of: listed), "every confirmed create survived: missing \(confirmed.subtracting(listed))")
        for name in listed.sorted().prefix(12) {
            let (body, result) = try await again.invoke(name, #"{"id": "x"}"#)
            #expect(result.functionError == nil && body.contains(name))
        }
        await again.close()
        #expect(await second.stop() == .status(0))
        #expect(second.leftovers().isEmpty, "left behind: \(second.leftovers())")
    }
}

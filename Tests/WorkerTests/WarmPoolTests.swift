import ShoalProtocol
import Testing

@testable import ShoalWorker

/// The pool's rules on the pure state machine: events in, directives out, no sockets.
@Suite struct WarmPoolTests {
    let v1 = DeployID(rawValue: "v1")
    let v2 = DeployID(rawValue: "v2")
    let t0 = ContinuousClock.now

    private func pool(cap: Int = 10, launches: Int = 1) -> WarmPool {
        WarmPool(deploy: v1, idPrefix: "p", configuration: .init(maxInstances: cap, maxConcurrentLaunches: launches))
    }

    // MARK: Reserved concurrency

    @Test func aSynchronousCallOverTheReservationIsThrottledAndAnEventCallWaits() {
        var pool = pool(cap: 10, launches: 2)
        let sync = WarmPool.Reservation(limit: 2, waits: false)
        #expect(pool.request(1, now: t0, reservation: sync) == [.launch("p-1", v1)])
        #expect(pool.request(2, now: t0, reservation: sync) == [.launch("p-2", v1)])
        // Two calls in flight (starting for them): the reservation is in use.
        #expect(pool.request(3, now: t0, reservation: sync) == [.throttle(3)])
        #expect(pool.request(4, now: t0, reservation: .init(limit: 2, waits: true)) == [], "an Event call waits, no launch")
        #expect(pool.launched("p-1", now: t0) == [.assign(1, "p-1")])
        #expect(pool.launched("p-2", now: t0) == [.assign(2, "p-2")])
        // A call ends: the waiting Event call takes its instance; no third one is started.
        #expect(pool.release("p-1", reusable: true, now: t0) == [.assign(4, "p-1")])
        #expect(pool.instances.count == 2)
    }

    @Test func idleInstancesBeyondTheReservationServeNoMoreCalls() {
        var pool = pool(cap: 10, launches: 3)
        for waiter in 1...3 { _ = pool.request(UInt64(waiter), now: t0) }
        for id in ["p-1", "p-2", "p-3"] { _ = pool.launched(id, now: t0) }
        for id in ["p-1", "p-2", "p-3"] { _ = pool.release(id, reusable: true, now: t0) }
        // Three idle instances, a reservation of one: one call at a time.
        let one = WarmPool.Reservation(limit: 1, waits: false)
        #expect(pool.request(10, now: t0, reservation: one) == [.assign(10, "p-3")])
        #expect(pool.request(11, now: t0, reservation: one) == [.throttle(11)])
        // Without a reservation the idle ones serve again.
        #expect(pool.request(12, now: t0) == [.assign(12, "p-2")])
    }

    @Test func callsOfTheFunctionsOtherVersionsCountAgainstItsReservation() {
        var pool = pool()
        // Two of three in flight in another version's pool: one call is left here.
        let shared = WarmPool.Reservation(limit: 3, waits: false, elsewhere: 2)
        #expect(pool.request(1, now: t0, reservation: shared) == [.launch("p-1", v1)])
        #expect(pool.request(2, now: t0, reservation: shared) == [.throttle(2)])
    }

    @Test func aWaitingCallGetsTheReservationWhenTheOtherVersionsLetGo() {
        var pool = pool()
        let taken = WarmPool.Reservation(limit: 1, waits: true, elsewhere: 1)
        #expect(pool.request(1, now: t0, reservation: taken) == [], "the other version holds the one slot")
        #expect(pool.othersHold(1, now: t0) == [], "nothing changed")
        #expect(pool.othersHold(0, now: t0) == [.launch("p-1", v1)])
    }

    @Test func aReservationOfZeroThrottlesEverySynchronousCall() {
        var pool = pool()
        let zero = WarmPool.Reservation(limit: 0, waits: false)
        #expect(pool.request(1, now: t0, reservation: zero) == [.throttle(1)])
        #expect(pool.request(2, now: t0, reservation: .init(limit: 0, waits: true)) == [], "Event calls wait for a reservation")
        #expect(pool.instances.isEmpty)
    }

    @Test func callsOnOneInstanceAreSerializedWithOneLaunch() {
        var pool = pool(cap: 1)
        #expect(pool.request(1, now: t0) == [.launch("p-1", v1)])
        #expect(pool.request(2, now: t0) == [], "at the cap: wait, do not launch")
        #expect(pool.launched("p-1", now: t0) == [.assign(1, "p-1")])
        #expect(pool.release("p-1", reusable: true, now: t0) == [.assign(2, "p-1")])
        #expect(pool.release("p-1", reusable: true, now: t0) == [])
        #expect(pool.instances["p-1"]?.phase == .idle)
    }

    @Test func launchesAreSerializedAndRecheckForAFreedInstance() {
        var pool = pool(cap: 4)
        #expect(pool.request(1, now: t0) == [.launch("p-1", v1)])
        #expect(pool.request(2, now: t0) == [], "one launch at a time")
        #expect(pool.request(3, now: t0) == [])
        // The first instance comes up and takes call 1; call 2 still needs one: launch #2.
        #expect(pool.launched("p-1", now: t0) == [.assign(1, "p-1"), .launch("p-2", v1)])
        // Call 1 finishes before launch #2 does: call 2 takes the freed instance, and call 3
        // is covered by the launch in flight, so nothing more starts.
        #expect(pool.release("p-1", reusable: true, now: t0) == [.assign(2, "p-1")])
        #expect(pool.launched("p-2", now: t0) == [.assign(3, "p-2")])
        #expect(pool.instances.count == 2)
    }

    @Test func aBurstNeverOvershootsTheCap() {
        var pool = pool(cap: 4, launches: 3)
        var launches: [String] = []
        for waiter in 1...100 as ClosedRange<UInt64> {
            for case .launch(let id, _) in pool.request(waiter, now: t0) { launches.append(id) }
        }
        #expect(launches.count == 3, "bounded by concurrent launches")
        for id in launches {
            for case .launch(let next, _) in pool.launched(id, now: t0) { launches.append(next) }
        }
        #expect(launches.count == 4)
        #expect(pool.instances.count == 4)
        #expect(pool.waiters.count == 100 - 3)
    }

    @Test func aFreedInstanceGoesToTheLongestWaiterWhicheverFreesFirst() {
        var pool = pool(cap: 2, launches: 2)
        _ = pool.request(1, now: t0)
        _ = pool.request(2, now: t0)
        _ = pool.launched("p-1", now: t0)
        _ = pool.launched("p-2", now: t0)
        _ = pool.request(3, now: t0)
        _ = pool.request(4, now: t0)
        // The second instance frees first: the longest waiter (3) gets it, not a queue behind p-1.
        #expect(pool.release("p-2", reusable: true, now: t0) == [.assign(3, "p-2")])
        #expect(pool.release("p-1", reusable: true, now: t0) == [.assign(4, "p-1")])
    }

    @Test func theMostRecentlyUsedIdleInstanceIsTakenSoSurplusAgesOut() {
        var pool = pool(cap: 2, launches: 2)
        _ = pool.request(1, now: t0)
        _ = pool.request(2, now: t0)
        _ = pool.launched("p-1", now: t0)
        _ = pool.launched("p-2", now: t0)
        _ = pool.release("p-1", reusable: true, now: t0 + .seconds(1))
        _ = pool.release("p-2", reusable: true, now: t0 + .seconds(2))
        #expect(pool.request(3, now: t0 + .seconds(3)) == [.assign(3, "p-2")])
    }

    @Test func aDeployChangeRetiresStaleInstancesBusyOnesFinishingFirst() {
        var pool = pool(cap: 3, launches: 3)
        for waiter in 1...3 as ClosedRange<UInt64> { _ = pool.request(waiter, now: t0) }
        _ = pool.launched("p-1", now: t0)
        _ = pool.launched("p-2", now: t0)
        // Call 3 takes the first freed instance instead of waiting for its launch.
        #expect(pool.release("p-1", reusable: true, now: t0) == [.assign(3, "p-1")])
        _ = pool.release("p-2", reusable: true, now: t0)  // p-1 busy, p-2 idle, p-3 starting
        #expect(pool.changeDeploy(to: v2, now: t0) == [.terminate("p-2")])
        #expect(pool.instances["p-1"]?.retiring == true)
        #expect(pool.instances["p-3"]?.retiring == true)
        // A new call gets a fresh instance of the new deploy; stale ones still count to the cap.
        #expect(pool.request(4, now: t0) == [.launch("p-4", v2)])
        #expect(pool.launched("p-3", now: t0) == [.terminate("p-3")])
        #expect(pool.release("p-1", reusable: true, now: t0) == [.terminate("p-1")])
        #expect(pool.launched("p-4", now: t0) == [.assign(4, "p-4")])
        #expect(pool.instances.keys.sorted() == ["p-4"])
    }

    @Test func aStaleInstanceCountsAgainstTheCapUntilItIsGone() {
        var pool = pool(cap: 1)
        _ = pool.request(1, now: t0)
        _ = pool.launched("p-1", now: t0)
        _ = pool.changeDeploy(to: v2, now: t0)
        #expect(pool.request(2, now: t0) == [], "p-1 is still running a call")
        #expect(pool.release("p-1", reusable: true, now: t0) == [.terminate("p-1"), .launch("p-2", v2)])
    }

    @Test func theReaperTakesOnlyFreeInstancesIdlePastTheTTL() {
        var pool = pool(cap: 3, launches: 3)
        for waiter in 1...2 as ClosedRange<UInt64> { _ = pool.request(waiter, now: t0) }
        _ = pool.launched("p-1", now: t0)
        _ = pool.launched("p-2", now: t0)
        _ = pool.release("p-1", reusable: true, now: t0)
        _ = pool.release("p-2", reusable: true, now: t0 + .seconds(200))
        _ = pool.request(3, now: t0 + .seconds(250))  // takes p-2 (most recent), busy
        // p-1 idle for 300 s: reaped; p-2 busy: never, however long.
        #expect(pool.reap(now: t0 + .seconds(299), idleTTL: .seconds(300)) == [])
        #expect(pool.reap(now: t0 + .seconds(300), idleTTL: .seconds(300)) == [.terminate("p-1")])
        #expect(pool.reap(now: t0 + .seconds(10_000), idleTTL: .seconds(300)) == [])
        #expect(pool.instances.keys.sorted() == ["p-2"])
    }

    @Test func idleInstancesAreTakenMostRecentFirstAcrossReapsAndReleases() {
        var pool = pool(cap: 3, launches: 3)
        for waiter in 1...3 as ClosedRange<UInt64> { _ = pool.request(waiter, now: t0) }
        for id in ["p-1", "p-2", "p-3"] { _ = pool.launched(id, now: t0) }
        _ = pool.release("p-2", reusable: true, now: t0 + .seconds(1))
        _ = pool.release("p-1", reusable: true, now: t0 + .seconds(2))
        _ = pool.release("p-3", reusable: true, now: t0 + .seconds(3))
        #expect(pool.reap(now: t0 + .seconds(301), idleTTL: .seconds(300)) == [.terminate("p-2")])
        #expect(pool.request(4, now: t0 + .seconds(302)) == [.assign(4, "p-3")])
        #expect(pool.release("p-3", reusable: false, now: t0 + .seconds(303)) == [.terminate("p-3")])
        #expect(pool.request(5, now: t0 + .seconds(304)) == [.assign(5, "p-1")])
        #expect(pool.release("p-1", reusable: true, now: t0 + .seconds(305)) == [])
        #expect(pool.request(6, now: t0 + .seconds(306)) == [.assign(6, "p-1")])
        #expect(pool.request(7, now: t0 + .seconds(306)) == [.launch("p-4", v1)], "nothing idle is left")
    }

    @Test func aFailedLaunchFailsTheCallItWasForAndTheNextCallTriesAgain() {
        var pool = pool(cap: 2)
        _ = pool.request(1, now: t0)
        _ = pool.request(2, now: t0)
        #expect(pool.launchFailed("p-1", reason: "boom", now: t0) == [.fail(1, "boom"), .launch("p-2", v1)])
        #expect(pool.launched("p-2", now: t0) == [.assign(2, "p-2")])
    }

    @Test func evictionAndUnreusableReleaseTerminateAndMakeRoom() {
        var pool = pool(cap: 1)
        _ = pool.request(1, now: t0)
        _ = pool.launched("p-1", now: t0)
        _ = pool.request(2, now: t0)
        #expect(pool.evict("p-1", now: t0) == [.terminate("p-1"), .launch("p-2", v1)])
        _ = pool.launched("p-2", now: t0)
        #expect(pool.release("p-2", reusable: false, now: t0) == [.terminate("p-2")])
        #expect(pool.instances.isEmpty)
    }

    @Test func retireAllFailsWaitersAndDrainsBusyInstances() {
        var pool = pool(cap: 2, launches: 2)
        for waiter in 1...3 as ClosedRange<UInt64> { _ = pool.request(waiter, now: t0) }
        _ = pool.launched("p-1", now: t0)
        // Call 2 was waiting on the launch of p-2, call 3 on nothing yet: both fail.
        #expect(pool.retireAll(failingWaitersWith: "deleted") == [.fail(2, "deleted"), .fail(3, "deleted")])
        #expect(pool.launched("p-2", now: t0) == [.terminate("p-2")])
        #expect(pool.release("p-1", reusable: true, now: t0) == [.terminate("p-1")])
        #expect(pool.isEmpty)
    }

    @Test func evictAllReportsWhetherThereWasAnything() {
        var pool = pool()
        #expect(pool.evictAll(now: t0).evicted == false)
        _ = pool.request(1, now: t0)
        _ = pool.launched("p-1", now: t0)
        _ = pool.release("p-1", reusable: true, now: t0)
        let (directives, evicted) = pool.evictAll(now: t0)
        #expect(evicted && directives == [.terminate("p-1")])
    }

    @Test func aWithdrawnWaiterIsNotServed() {
        var pool = pool(cap: 1)
        _ = pool.request(1, now: t0)
        _ = pool.request(2, now: t0)
        pool.withdraw(1)
        #expect(pool.launched("p-1", now: t0) == [.assign(2, "p-1")])
    }
}

@Suite struct DeployIDTests {
    private func inputs(_ seed: Int) -> FunctionDefinition {
        .init(
            name: "f\(seed)", runtime: ["python3.12", "nodejs20.x", "provided.al2023"][seed % 3],
            handler: "h.\(seed % 5)", timeoutSeconds: 1 + seed % 900, memoryMB: 128 + seed % 64,
            environment: Dictionary(uniqueKeysWithValues: (0..<(seed % 4)).map { ("K\($0)", "v\(seed)/+=?&\($0)") }),
            packageType: seed % 11 == 0 ? "Image" : "Zip", imageURI: seed % 11 == 0 ? "img:\(seed)" : nil,
            codeSHA256: "code\(seed % 7)", layerSHA256s: (0..<(seed % 3)).map { "layer\(seed % 13 + $0)" }
        )
    }

    @Test func isURLPathSafeAndDistinctOver2000VariedInputs() {
        let safe = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var seen = Set<String>()
        for seed in 0..<2_000 {
            let id = DeployID(inputs(seed)).rawValue
            #expect(id.count == 43, "32 bytes of SHA-256, base64 without padding")
            #expect(id.allSatisfy(safe.contains), "\(id)")
            seen.insert(id)
        }
        #expect(seen.count == 2_000)
    }

    @Test func isStableAndIgnoresEnvironmentOrderButNotLayerOrder() {
        let a = FunctionDefinition(
            name: "f", runtime: "python3.12", handler: "app.handler", timeoutSeconds: 3, memoryMB: 128,
            environment: ["A": "1", "B": "2"], codeSHA256: "c", layerSHA256s: ["l1", "l2"])
        var b = a
        b.environment = ["B": "2", "A": "1"]
        #expect(DeployID(a) == DeployID(b))
        // A golden value, computed independently (Python's hashlib over the same length-prefixed
        // fields): the id must not change between processes or releases.
        #expect(DeployID(a).rawValue == "mZOvPS4PDcI4nuQRK_nkEhXdCkl0MRhvaWqBv6kjYhA")
        b.layerSHA256s = ["l2", "l1"]
        #expect(DeployID(a) != DeployID(b))
        for change in [\FunctionDefinition.handler, \.runtime] {
            var c = a
            c[keyPath: change] += "x"
            #expect(DeployID(a) != DeployID(c))
        }
        var renamed = a
        renamed.name = "other"
        #expect(DeployID(a) == DeployID(renamed), "the name is not part of the deploy")
        var recoded = a
        recoded.codeSHA256 = "d"
        #expect(DeployID(a) != DeployID(recoded))
    }
}

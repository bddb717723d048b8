import DequeModule
import ShoalProtocol

/// The decision logic of one function's warm pool, as a pure value: events in, directives out.
///
/// It owns no sockets, tasks or clocks (time is passed in), so every rule of the pool can be
/// tested by feeding events and reading directives, in the style of SWIM.Instance in
/// swift-cluster-membership. `WarmPoolManager` is the thin actor that carries directives out.
///
/// The rules:
/// - an instance serves one invocation at a time (`busy`);
/// - a call takes the most recently used idle instance of the current deploy (so surplus
///   instances age out and the reaper can take them);
/// - otherwise the pool grows, one launch at a time by default (`maxConcurrentLaunches`),
///   and never past `maxInstances`, counting every live instance, stale ones included, so
///   in-flight invocations never exceed the cap;
/// - past the cap, calls wait in arrival order and each freed instance goes to the longest
///   waiter, whichever instance frees first (no convoy behind one instance);
/// - instances of another deploy are retired: idle ones at once, busy ones when released,
///   starting ones when their launch completes;
/// - a reservation (AWS's reserved concurrency) caps the calls in flight (busy instances, and
///   starting ones, each for a waiting call): a call that finds it reached is throttled at
///   once if it is synchronous, or waits its turn (an Event invocation).
package struct WarmPool: Sendable {
    package struct Configuration: Sendable, Hashable {
        /// Per-function concurrency cap (`--max-concurrency`, `SHOAL_MAX_CONCURRENCY`).
        package var maxInstances: Int = 10
        /// Launches in flight at once; 1 serializes cold starts, so a burst re-checks for a
        /// freed instance before each further launch.
        package var maxConcurrentLaunches: Int = 1

        package init(maxInstances: Int = 10, maxConcurrentLaunches: Int = 1) {
            precondition(maxInstances >= 1 && maxConcurrentLaunches >= 1, "pool limits must be positive")
            self.maxInstances = maxInstances
            self.maxConcurrentLaunches = maxConcurrentLaunches
        }
    }

    package typealias WaiterID = UInt64
    package typealias InstanceID = String

    package enum Phase: String, Sendable, Hashable {
        case starting, idle, busy
    }

    package struct Instance: Sendable, Hashable {
        package let id: InstanceID
        package let deploy: DeployID
        package internal(set) var phase: Phase
        package internal(set) var lastUsed: ContinuousClock.Instant
        /// To be terminated as soon as it is not busy or starting any more.
        package internal(set) var retiring = false
    }

    package enum Directive: Sendable, Hashable {
        /// Hand this instance (now busy) to this waiting call.
        case assign(WaiterID, InstanceID)
        /// Start an instance of this deploy; report back with `launched` or `launchFailed`.
        case launch(InstanceID, DeployID)
        /// Stop this instance; the pool has forgotten it.
        case terminate(InstanceID)
        /// Fail this waiting call.
        case fail(WaiterID, String)
        /// Refuse this call: the function's reservation is in use (TooManyRequestsException).
        case throttle(WaiterID)
    }

    /// A function's reserved concurrency, as each call brings it (it can change between calls).
    package struct Reservation: Sendable, Hashable {
        /// The most calls in flight at once; 0 refuses every synchronous call.
        package var limit: Int
        /// Whether a call over it waits its turn (an Event invocation) instead of being throttled.
        package var waits: Bool
        /// Calls of the same function in flight in other pools (its other versions): the
        /// reservation is the function's, shared by all of them.
        package var elsewhere: Int

        package init(limit: Int, waits: Bool, elsewhere: Int = 0) {
            self.limit = limit
            self.waits = waits
            self.elsewhere = elsewhere
        }
    }

    package let configuration: Configuration
    package private(set) var deploy: DeployID
    package private(set) var instances: [InstanceID: Instance] = [:]
    package private(set) var waiters: Deque<WaiterID> = []
    /// The idle instances, least recently used first. `makeIdle` appends with `now`, so this
    /// is the order of `lastUsed`, and a call takes the last one without scanning the pool
    /// (it runs for every request and release). Idle instances are always of the current
    /// deploy and never retiring: a deploy change or retirement stops idle ones at once.
    private var idleOrder: [InstanceID] = []
    private let idPrefix: String
    private var launchedCount = 0
    /// The latest call's reservation, with what the function's other pools hold; nil is none.
    package private(set) var reservation: Reservation?
    /// What of the reservation this pool may use now.
    var reservedLimit: Int? { reservation.map { max(0, $0.limit - $0.elsewhere) } }

    /// `idPrefix` makes instance ids unique across pools (a deleted and recreated function
    /// gets a new pool while the old one's busy instances drain).
    package init(deploy: DeployID, idPrefix: String, configuration: Configuration = .init()) {
        self.deploy = deploy
        self.idPrefix = idPrefix
        self.configuration = configuration
    }

    package var isEmpty: Bool { instances.isEmpty && waiters.isEmpty }
    /// The idle instance the next request gets, if one is idle.
    package var nextIdle: InstanceID? { idleOrder.last }
    package var busyCount: Int { instances.values.count { $0.phase == .busy } }
    package var startingCount: Int { instances.values.count { $0.phase == .starting } }

    // MARK: Events

    /// A call wants an instance of the current deploy.
    package mutating func request(_ waiter: WaiterID, now: ContinuousClock.Instant, reservation: Reservation? = nil) -> [Directive] {
        self.reservation = reservation
        // Busy instances, and waiting calls (each will hold one): the calls already committed.
        if let reservation, !reservation.waits, reservation.elsewhere + busyCount + waiters.count >= reservation.limit {
            return [.throttle(waiter)]
        }
        waiters.append(waiter)
        return schedule(now: now)
    }

    /// Instances the reservation counts when it hands out more: busy ones, and starting ones
    /// (each will serve a waiting call).
    private var inFlight: Int { instances.values.count { $0.phase == .busy || ($0.phase == .starting && !$0.retiring) } }

    /// The function's other pools (its other versions) now hold `elsewhere` calls: the
    /// reservation they share may have room for this pool's waiting calls, or less than it had.
    package mutating func othersHold(_ elsewhere: Int, now: ContinuousClock.Instant) -> [Directive] {
        guard reservation != nil, reservation!.elsewhere != elsewhere else { return [] }
        reservation!.elsewhere = elsewhere
        return waiters.isEmpty ? [] : schedule(now: now)
    }

    /// A waiting call gave up (cancelled or timed out) before it got an instance.
    package mutating func withdraw(_ waiter: WaiterID) {
        waiters.removeAll { $0 == waiter }
    }

    package mutating func launched(_ id: InstanceID, now: ContinuousClock.Instant) -> [Directive] {
        guard let slot = instances.index(forKey: id), instances.values[slot].phase == .starting else { return [.terminate(id)] }
        if instances.values[slot].retiring {
            forget(id)
            return [.terminate(id)] + schedule(now: now)
        }
        return makeIdle(at: slot, now: now)
    }

    /// The launch failed: the longest waiter gets the error (it is the call this launch was
    /// for); the others may trigger launches of their own.
    package mutating func launchFailed(_ id: InstanceID, reason: String, now: ContinuousClock.Instant) -> [Directive] {
        guard forget(id) != nil else { return [] }
        var directives: [Directive] = []
        if let waiter = waiters.popFirst() { directives.append(.fail(waiter, reason)) }
        return directives + schedule(now: now)
    }

    /// A call is done with its instance. `reusable` false (the invocation failed in a way
    /// that leaves the instance suspect) terminates it.
    package mutating func release(_ id: InstanceID, reusable: Bool, now: ContinuousClock.Instant) -> [Directive] {
        guard let slot = instances.index(forKey: id), instances.values[slot].phase == .busy else { return [] }
        if !reusable || instances.values[slot].retiring || instances.values[slot].deploy != deploy {
            forget(id)
            return [.terminate(id)] + schedule(now: now)
        }
        return makeIdle(at: slot, now: now)
    }

    /// The holder found its instance dead (failed probe or connect): forget and stop it.
    package mutating func evict(_ id: InstanceID, now: ContinuousClock.Instant) -> [Directive] {
        guard forget(id) != nil else { return [] }
        return [.terminate(id)] + schedule(now: now)
    }

    /// The function's code or launch configuration changed: retire every other deploy.
    package mutating func changeDeploy(to newDeploy: DeployID, now: ContinuousClock.Instant) -> [Directive] {
        guard newDeploy != deploy else { return [] }
        deploy = newDeploy
        return retire { $0.deploy != newDeploy } + schedule(now: now)
    }

    /// Retires every instance (introspection's evict, delete, shutdown): idle ones stop now,
    /// busy and starting ones when they are done. Waiting calls fail with `reason`.
    package mutating func retireAll(failingWaitersWith reason: String) -> [Directive] {
        let failed = waiters.map { Directive.fail($0, reason) }
        waiters.removeAll()
        return failed + retire { _ in true }
    }

    /// Evicts for introspection: retires everything but lets waiting calls go on (they will
    /// cold start fresh instances). Reports whether there was anything to evict.
    package mutating func evictAll(now: ContinuousClock.Instant) -> (directives: [Directive], evicted: Bool) {
        let hadInstances = instances.values.contains { !$0.retiring }
        return (retire { _ in true } + schedule(now: now), hadInstances)
    }

    /// Idle instances unused for `idleTTL` are stopped; busy and starting ones never are.
    package mutating func reap(now: ContinuousClock.Instant, idleTTL: Duration) -> [Directive] {
        let expired = idleOrder.filter { now - instances[$0]!.lastUsed >= idleTTL }
        for id in expired { forget(id) }
        return expired.sorted().map(Directive.terminate)
    }

    // MARK: Decisions

    /// The instance at `slot` is free: it serves the next waiter, or waits idle from `now`.
    /// Changed in place through its slot, so a warm invoke's release hashes its id once.
    private mutating func makeIdle(at slot: [InstanceID: Instance].Index, now: ContinuousClock.Instant) -> [Directive] {
        instances.values[slot].phase = .idle
        instances.values[slot].lastUsed = now
        idleOrder.append(instances.keys[slot])
        return schedule(now: now)
    }

    private mutating func retire(where shouldRetire: (Instance) -> Bool) -> [Directive] {
        var directives: [Directive] = []
        for (id, instance) in instances where shouldRetire(instance) {
            if instance.phase == .idle {
                forget(id)
                directives.append(.terminate(id))
            } else {
                instances[id]!.retiring = true
            }
        }
        return directives.sorted { "\($0)" < "\($1)" }
    }

    /// Serves waiters from idle instances, then launches what the remaining waiters need
    /// within the cap and the launch limit.
    private mutating func schedule(now: ContinuousClock.Instant) -> [Directive] {
        var directives: [Directive] = []
        var roomUnderReservation = reservedLimit.map { $0 - inFlight } ?? Int.max
        while !waiters.isEmpty, roomUnderReservation > 0, let id = idleOrder.popLast() {
            roomUnderReservation -= 1
            let waiter = waiters.removeFirst()
            instances[id]!.phase = .busy
            directives.append(.assign(waiter, id))
        }
        // The warm path: every waiter got an instance, so nothing is to be launched.
        guard !waiters.isEmpty else { return directives }
        let starting = instances.values.count { $0.phase == .starting && !$0.retiring }
        let uncovered = waiters.count - starting
        let roomUnderCap = configuration.maxInstances - instances.count
        let roomToLaunch = configuration.maxConcurrentLaunches - instances.values.count { $0.phase == .starting }
        let launches = max(0, min(uncovered, roomUnderCap, roomToLaunch, roomUnderReservation))
        for _ in 0..<launches {
            launchedCount += 1
            let id = "\(idPrefix)-\(launchedCount)"
            instances[id] = Instance(id: id, deploy: deploy, phase: .starting, lastUsed: now)
            directives.append(.launch(id, deploy))
        }
        return directives
    }

    /// Removes the instance from the pool (and from the idle order if it was idle).
    @discardableResult
    private mutating func forget(_ id: InstanceID) -> Instance? {
        guard let instance = instances.removeValue(forKey: id) else { return nil }
        if instance.phase == .idle { idleOrder.removeAll { $0 == id } }
        return instance
    }
}

import Logging
import NIOCore
import NIOPosix
import ShoalProtocol

/// The warm pools of one worker: the I/O shell around the `WarmPool` state machines.
///
/// The actor only does bookkeeping: it feeds events to the pure pools and carries out their
/// directives (start and stop instances through the backend, hand instances to waiting
/// calls). The invocation itself (probe, HTTP transfer) runs outside the actor in the
/// calling task, so the actor is never the bottleneck of the invoke path.
///
/// The actor runs on one event loop (its executor): a worker serves its connections on that
/// loop too, so the invoking task, the actor and the instance connections share a thread and
/// a warm invoke never hops between threads.
///
/// A pool belongs to one definition lifetime of a function (a "generation"). Deleting a
/// function detaches its pool and retires exactly that pool's instances, so a recreate that
/// races ahead gets a fresh pool whose instances the delete never touches.
package actor WarmPoolManager {
    package let configuration: Configuration
    /// The loop the actor runs on; serve connections here so a warm invoke stays on one thread.
    package nonisolated let eventLoop: any EventLoop
    private nonisolated let executor: any SerialExecutor
    let backend: any InstanceBackend
    let invoker: InstanceClient
    let probe: ReachabilityProbe
    let logger: Logger

    /// A class, confined to the actor: every invoke reads and updates its pool, and a struct
    /// read out of the dictionary was a copy of the whole entry (definition, instance table)
    /// each time, its references retained and released.
    final class PoolEntry {
        var function: FunctionDefinition
        var pool: WarmPool
        var detached = false

        init(function: FunctionDefinition, pool: WarmPool) {
            self.function = function
            self.pool = pool
        }
    }

    struct InstanceEntry {
        var generation: UInt64
        var launched: LaunchedInstance?
        var uses = 0
    }

    /// A call waiting for an instance, and the timer that fails it at its queue deadline.
    struct Waiter {
        var continuation: CheckedContinuation<Lease, any Error>
        var expiry: Scheduled<Void>?

        func resume(with result: Result<Lease, any Error>) {
            expiry?.cancel()
            continuation.resume(with: result)
        }
    }

    var pools: [UInt64: PoolEntry] = [:]
    var currentGeneration: [String: UInt64] = [:]
    var instances: [WarmPool.InstanceID: InstanceEntry] = [:]
    var waiters: [WarmPool.WaiterID: Waiter] = [:]
    var nextGeneration: UInt64 = 1
    var nextWaiter: WarmPool.WaiterID = 1
    var counters = Counters()
    var reaper: Task<Void, Never>?

    /// What a call holds while it uses an instance.
    package struct Lease: Sendable, Hashable {
        package var generation: UInt64
        package var instanceID: String
        package var endpoint: Endpoint
        /// True for the first invocation on a freshly launched instance.
        package var coldStart: Bool
        /// How long ago the instance last completed an invocation; nil if it never has.
        package var lastSuccessAgo: Duration?
        /// The function's timeout (not its whole definition: a lease is made for every call,
        /// and copying a definition retains and releases each of its strings).
        package var timeoutSeconds: Int
        /// True when the call had to wait for this instance (it was queued or cold-started).
        package var waited = false
    }

    package struct Counters: Sendable, Hashable, Codable {
        package var launches = 0
        package var launchFailures = 0
        package var terminations = 0
        package var invocations: [String: Int] = [:]
        package var inFlight = 0
    }

    package init(
        backend: any InstanceBackend, invoker: InstanceClient, configuration: Configuration = .init(),
        logger: Logger = Logger(label: "shoal.worker.pool"), eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()
    ) {
        self.eventLoop = eventLoop
        self.executor = eventLoop.executor
        self.backend = backend
        self.invoker = invoker
        self.configuration = configuration
        self.probe = ReachabilityProbe(timeout: configuration.probeTimeout)
        self.logger = logger
    }

    package nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    // MARK: Functions

    /// Defines or redefines a function. A changed deploy retires the old instances (busy
    /// ones finish their call first).
    package func define(_ function: FunctionDefinition) {
        if let generation = currentGeneration[function.poolKey], let entry = pools[generation] {
            entry.function = function
            apply(entry.pool.changeDeploy(to: function.deployID, now: .now), generation: generation)
            return
        }
        let generation = nextGeneration
        nextGeneration += 1
        pools[generation] = PoolEntry(
            function: function,
            pool: WarmPool(deploy: function.deployID, idPrefix: "\(function.poolKey)-g\(generation)", configuration: configuration.pool)
        )
        currentGeneration[function.poolKey] = generation
    }

    package func definition(of name: String) -> FunctionDefinition? {
        currentGeneration[name].flatMap { pools[$0]?.function }
    }

    /// Deletes a function (with every published version of it) or, for `NAME:VERSION`, one
    /// version: each pool, as it is now, is retired; calls waiting on it fail.
    @discardableResult
    package func remove(_ name: String) -> Bool {
        let keys = currentGeneration.keys.filter { $0 == name || (!name.contains(":") && $0.hasPrefix(name + ":")) }
        for key in keys {
            guard let generation = currentGeneration.removeValue(forKey: key), let entry = pools[generation] else { continue }
            entry.detached = true
            apply(entry.pool.retireAll(failingWaitersWith: "function \(key) was deleted"), generation: generation)
        }
        return !keys.isEmpty
    }

    /// Introspection: stops the function's instances (busy ones after their call).
    package func evict(_ name: String) -> Bool {
        guard let generation = currentGeneration[name], let entry = pools[generation] else { return false }
        let (directives, evicted) = entry.pool.evictAll(now: .now)
        apply(directives, generation: generation)
        return evicted
    }

    /// Stops every instance and fails every waiting call; for worker shutdown.
    package func shutdown() async {
        reaper?.cancel()
        var running: [LaunchedInstance] = []
        for entry in pools.values {
            for directive in entry.pool.retireAll(failingWaitersWith: "the worker is shutting down") {
                if case .fail(let waiter, let reason) = directive {
                    waiters.removeValue(forKey: waiter)?.resume(with: .failure(WorkerError(.shuttingDown, reason)))
                }
            }
            entry.detached = true
        }
        currentGeneration.removeAll()
        for (_, instance) in instances { if let launched = instance.launched { running.append(launched) } }
        instances.removeAll()
        await withTaskGroup(of: Void.self) { group in
            for instance in running { group.addTask { await self.backend.terminate(instance) } }
        }
        counters.terminations += running.count
    }

    // MARK: Leases

    /// Waits for an instance of `name`, at most until `queueDeadline` (then QueueWaitExceeded);
    /// `onQueued` hears when the call has to wait. The first attempt of a call counts as an
    /// invocation.
    func acquire(
        _ name: String, expectedDeploy: DeployID?, firstAttempt: Bool,
        queueDeadline: ContinuousClock.Instant, reservation: WarmPool.Reservation? = nil, onQueued: (@Sendable (Duration) -> Void)? = nil
    ) async throws -> Lease {
        guard let generation = currentGeneration[name], let entry = pools[generation] else {
            throw WorkerError(.unknownFunction, "Function not found: \(RPCError.echo(name))")
        }
        if let expectedDeploy, expectedDeploy != entry.pool.deploy {
            throw WorkerError(.unknownDeploy, "function \(name) has no deploy \(expectedDeploy) here (current: \(entry.pool.deploy))")
        }
        if firstAttempt { counters.invocations[name, default: 0] += 1 }
        try Task.checkCancellation()
        let waiter = nextWaiter
        nextWaiter += 1
        // Asked before any continuation exists: a warm instance is handed over without
        // suspending the call (a suspension here cost a task switch on every warm invoke).
        var reservation = reservation
        if reservation != nil { reservation?.elsewhere = inFlightElsewhere(name) }
        let directives = entry.pool.request(waiter, now: .now, reservation: reservation)
        if let answer = apply(directives, generation: generation, answering: waiter) {
            return try answer.get()
        }
        onQueued?(queueDeadline - .now)
        var lease = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, any Error>) in
                // Still on the actor since the request: the answer cannot have come yet.
                guard !Task.isCancelled else {
                    entry.pool.withdraw(waiter)
                    continuation.resume(throwing: CancellationError())
                    return
                }
                let expiry = eventLoop.scheduleTask(in: TimeAmount(queueDeadline - .now)) { [self] in
                    assumeIsolated { $0.expire(waiter, generation: generation) }
                }
                waiters[waiter] = Waiter(continuation: continuation, expiry: expiry)
            }
        } onCancel: {
            Task { await self.withdraw(waiter, generation: generation) }
        }
        lease.waited = true
        return lease
    }

    /// Calls in flight in the other pools of `poolKey`'s function (its other versions).
    private func inFlightElsewhere(_ poolKey: String) -> Int {
        siblings(of: poolKey).reduce(0) { total, generation in
            guard let pool = pools[generation]?.pool else { return total }
            return total + pool.busyCount + pool.startingCount
        }
    }

    /// The current pools of `poolKey`'s function's other versions.
    private func siblings(of poolKey: String) -> [UInt64] {
        let function = poolKey.split(separator: ":").first.map(String.init) ?? poolKey
        return currentGeneration.compactMap { key, generation in
            key != poolKey && (key == function || key.hasPrefix(function + ":")) ? generation : nil
        }
    }

    /// A call of `poolKey` ended: the reservation its function's versions share may now have
    /// room for a call waiting in another version's pool (an Event call that waits its turn).
    private func rebalanceReservation(after poolKey: String) {
        for generation in siblings(of: poolKey) {
            guard let entry = pools[generation], entry.pool.reservation != nil else { continue }
            apply(entry.pool.othersHold(inFlightElsewhere(entry.function.poolKey), now: .now), generation: generation)
        }
    }

    private func withdraw(_ waiter: WarmPool.WaiterID, generation: UInt64) {
        guard let entry = waiters.removeValue(forKey: waiter) else { return }
        pools[generation]?.pool.withdraw(waiter)
        entry.resume(with: .failure(CancellationError()))
    }

    /// The call waited its maximum queue wait: it leaves the queue, having run nowhere, and no
    /// instance is touched.
    private func expire(_ waiter: WarmPool.WaiterID, generation: UInt64) {
        guard let entry = waiters.removeValue(forKey: waiter) else { return }
        let pool = pools[generation]
        pool?.pool.withdraw(waiter)
        let name = pool?.function.name ?? "?"
        let bound =
            pool?.pool.reservation.map { "its reserved concurrency of \($0.limit)" } ?? "its concurrency cap of \(configuration.pool.maxInstances)"
        entry.resume(
            with: .failure(
                WorkerError(
                    .queueWaitExceeded,
                    "Rate Exceeded. The call waited \(configuration.maxQueueWait) (the maximum queue wait) for an instance of \(name), "
                        + "which is at \(bound); it ran nowhere."
                )))
    }

    /// The call is done; `reusable` false stops the instance (its state is suspect).
    func release(_ lease: Lease, reusable: Bool) {
        counters.inFlight -= 1
        guard let entry = pools[lease.generation] else { return }
        if entry.pool.reservation != nil {
            // What the other versions hold may have changed since this pool last asked.
            apply(entry.pool.othersHold(inFlightElsewhere(entry.function.poolKey), now: .now), generation: lease.generation)
        }
        apply(entry.pool.release(lease.instanceID, reusable: reusable, now: .now), generation: lease.generation)
        if entry.pool.reservation != nil { rebalanceReservation(after: entry.function.poolKey) }
    }

    /// The instance is dead (failed probe or connect): forget and stop it.
    func evict(_ lease: Lease) {
        counters.inFlight -= 1
        guard let entry = pools[lease.generation] else { return }
        apply(entry.pool.evict(lease.instanceID, now: .now), generation: lease.generation)
        if entry.pool.reservation != nil { rebalanceReservation(after: entry.function.poolKey) }
    }

    // MARK: Directives

    /// Carries out the pool's directives. What concerns `caller` (a call that asked without
    /// waiting yet) is returned instead of sent to a continuation: nil if it must wait.
    @discardableResult
    func apply(_ directives: [WarmPool.Directive], generation: UInt64, answering caller: WarmPool.WaiterID? = nil) -> Result<Lease, any Error>? {
        var answer: Result<Lease, any Error>?
        for directive in directives {
            switch directive {
            case .assign(let waiter, let id):
                settle(waiter, with: lease(id, generation: generation), caller: caller, answer: &answer)
            case .launch(let id, _):
                guard let function = pools[generation]?.function else { continue }
                instances[id] = InstanceEntry(generation: generation)
                counters.launches += 1
                Task { await self.launch(id, function: function, generation: generation) }
            case .terminate(let id):
                let entry = instances.removeValue(forKey: id)
                if let launched = entry?.launched {
                    counters.terminations += 1
                    Task { await self.backend.terminate(launched) }
                }
            case .fail(let waiter, let reason):
                settle(waiter, with: .failure(WorkerError(.launchFailed, reason)), caller: caller, answer: &answer)
            case .throttle(let waiter):
                let limit = pools[generation]?.pool.reservation?.limit ?? 0
                settle(
                    waiter,
                    with: .failure(
                        WorkerError(.reservedConcurrencyExceeded, "Rate Exceeded. (the function's reserved concurrency of \(limit) is in use)")),
                    caller: caller, answer: &answer)
            }
        }
        if let entry = pools[generation], entry.detached, entry.pool.isEmpty {
            pools[generation] = nil
        }
        return answer
    }

    /// Gives `waiter` its outcome: into `answer` when it is the caller asking right now, else
    /// to its continuation. `result` is built only for a waiter still there (a lease counts
    /// the instance as in flight).
    private func settle(
        _ waiter: WarmPool.WaiterID, with result: @autoclosure () -> Result<Lease, any Error>,
        caller: WarmPool.WaiterID?, answer: inout Result<Lease, any Error>?
    ) {
        if waiter == caller {
            answer = result()
        } else {
            waiters.removeValue(forKey: waiter)?.resume(with: result())
        }
    }

    /// The lease for an instance the pool just assigned.
    private func lease(_ id: WarmPool.InstanceID, generation: UInt64) -> Result<Lease, any Error> {
        // The instance table through one index: one hash of the id, not three.
        guard let slot = instances.index(forKey: id), let launched = instances.values[slot].launched, let entry = pools[generation] else {
            return .failure(WorkerError(.launchFailed, "instance \(id) was assigned but is not running"))
        }
        instances.values[slot].uses += 1
        counters.inFlight += 1
        let uses = instances.values[slot].uses
        let lastUsed = entry.pool.instances[id]?.lastUsed
        return .success(
            Lease(
                generation: generation, instanceID: id, endpoint: launched.endpoint,
                coldStart: uses == 1, lastSuccessAgo: uses > 1 ? lastUsed.map { .now - $0 } : nil, timeoutSeconds: entry.function.timeoutSeconds
            ))
    }

    private func launch(_ id: String, function: FunctionDefinition, generation: UInt64) async {
        do {
            let launched = try await backend.launch(LaunchRequest(function: function, instanceID: id))
            guard instances[id] != nil, let entry = pools[generation] else {
                // Forgotten while starting (shutdown): stop it right away.
                await backend.terminate(launched)
                return
            }
            instances[id]!.launched = launched
            apply(entry.pool.launched(id, now: .now), generation: generation)
        } catch {
            counters.launchFailures += 1
            instances[id] = nil
            logger.warning("instance launch failed", metadata: ["function": "\(function.name)", "error": "\(error)"])
            guard let entry = pools[generation] else { return }
            apply(entry.pool.launchFailed(id, reason: "\(error)", now: .now), generation: generation)
        }
    }
}

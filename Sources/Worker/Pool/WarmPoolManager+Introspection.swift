import ShoalProtocol

extension WarmPoolManager {
    package func list() -> [WorkerAPI.WarmInstance] {
        let now = ContinuousClock.now
        var result: [WorkerAPI.WarmInstance] = []
        for (_, entry) in pools {
            for instance in entry.pool.instances.values {
                let idle = now - instance.lastUsed
                result.append(
                    WorkerAPI.WarmInstance(
                        functionName: entry.function.name, instanceId: instance.id, backend: backend.name,
                        runtime: entry.function.runtime, deployId: instance.deploy.rawValue,
                        state: instance.retiring ? "retiring" : instance.phase.rawValue,
                        busy: instance.phase == .busy,
                        lastUsedSecsAgo: instance.phase == .busy ? 0 : Double(idle.components.seconds) + Double(idle.components.attoseconds) / 1e18,
                        endpoint: instances[instance.id]?.launched?.endpoint.description
                    ))
            }
        }
        return result.sorted { ($0.functionName, $0.instanceId) < ($1.functionName, $1.instanceId) }
    }

    /// The worker's counters, as `stats` answers them.
    package func statistics(workerID: String) -> WorkerAPI.Stats.Result {
        let all = pools.values.flatMap { $0.pool.instances.values }
        return WorkerAPI.Stats.Result(
            workerId: workerID, functions: currentGeneration.count, instances: all.count, busyInstances: all.count { $0.phase == .busy },
            inFlight: counters.inFlight, coldStarts: counters.launches - counters.launchFailures,
            launchFailures: counters.launchFailures, terminations: counters.terminations, invocations: counters.invocations
        )
    }

    /// Starts the idle reaper: every `reapInterval`, idle instances unused for `idleTTL` stop.
    package func startReaper() {
        guard reaper == nil else { return }
        let interval = configuration.reapInterval
        reaper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await self?.reap()
            }
        }
    }

    func reap() {
        let now = ContinuousClock.now
        for generation in Array(pools.keys) {
            guard let entry = pools[generation] else { continue }
            let directives = entry.pool.reap(now: now, idleTTL: configuration.idleTTL)
            apply(directives, generation: generation)
        }
    }
}

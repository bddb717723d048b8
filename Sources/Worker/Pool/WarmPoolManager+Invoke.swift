import ShoalProtocol

/// The result of one invocation as the instance gave it.
package struct InvocationOutcome: Sendable, Hashable {
    package var status = 0
    /// Response header names, lowercased.
    package var headers: [String: String] = [:]
    /// The whole body, unless it was streamed to `onBody`.
    package var body: [UInt8] = []
    package var instanceID = ""
    package var coldStart = false
    /// Attempts it took; more than one means dead instances were evicted on the way.
    package var attempts = 0
}

extension WarmPoolManager {
    /// Hears a waiting call's phase and its time budget from now (`WorkerAPI.InvokeProgress`).
    package typealias Progress = @Sendable (WorkerAPI.InvokeProgress.Phase, Duration) -> Void

    /// Takes a streamed body's pieces as they arrive; the first carries the stream's content type.
    package typealias StreamSink = @Sendable (_ bytes: [UInt8], _ contentType: String?) async throws -> Void

    /// Runs one invocation of function `name` on a warm (or freshly started) instance.
    ///
    /// Before forwarding, the instance is probed with a TCP connect unless it completed an
    /// invocation within `probeFreshness`.
    ///
    /// The retry rule: an attempt whose request provably never reached a handler (the probe
    /// failed, or the connection was refused) evicts that instance and tries again on another,
    /// up to `maxAttempts`. Any failure after the request may have reached the handler evicts
    /// the instance and fails the call: a handler never runs twice. Cancelling the calling
    /// task aborts the transfer and recycles the instance.
    ///
    /// `expectedDeploy`, when given, must be the function's current deploy (else
    /// `.unknownDeploy`): the caller's definition is out of date and must be sent again.
    ///
    /// With `onBody`, body chunks go there as they arrive (streaming) instead of into the
    /// outcome, the first with the content type the runtime gave its stream; a function that
    /// failed before it wrote a byte leaves its error document in the outcome instead.
    ///
    /// A call waits for an instance at most `maxQueueWait` (then QueueWaitExceeded, having run
    /// nowhere). `progress`, when given, hears when it starts waiting and when it got its
    /// instance, each with the time budget from then; a call that never waits hears nothing.
    ///
    /// `reservation` (the function's reserved concurrency) throttles a synchronous call that
    /// finds it in use (ReservedFunctionConcurrentInvocationLimitExceeded); an Event call waits.
    package nonisolated func invoke(
        _ name: String,
        expectedDeploy: DeployID? = nil,
        payload: [UInt8],
        headers: [(String, String)] = [],
        onBody: StreamSink? = nil,
        progress: Progress? = nil,
        reservation: WarmPool.Reservation? = nil
    ) async throws -> InvocationOutcome {
        var lastFailure = "no attempt was made"
        // One queue deadline for the whole call: a retry does not start the wait over.
        let queueDeadline = ContinuousClock.now + configuration.maxQueueWait
        let onQueued = progress.map { progress in { @Sendable (budget: Duration) in progress(.queued, budget) } }
        for attempt in 1...configuration.maxAttempts {
            let lease = try await acquire(
                name, expectedDeploy: expectedDeploy, firstAttempt: attempt == 1, queueDeadline: queueDeadline, reservation: reservation,
                onQueued: onQueued)
            if lease.waited { progress?(.running, runningBudget(lease)) }
            let skipsProbe = AttemptRules.skipsProbe(lastSuccessAgo: lease.lastSuccessAgo, freshness: configuration.probeFreshness)
            let reachable = skipsProbe ? true : await probe.isReachable(lease.endpoint)
            guard reachable else {
                lastFailure = "instance \(lease.instanceID) at \(lease.endpoint) failed its reachability probe"
                logger.info("evicting unreachable instance", metadata: ["instance": "\(lease.instanceID)"])
                await evict(lease)
                continue
            }
            var outcome = InvocationOutcome(instanceID: lease.instanceID, coldStart: lease.coldStart, attempts: attempt)
            var receivedAnything = false
            // Read once from the head: the first piece's content type, and whether the body is
            // an error document (a function that failed before it wrote a byte), not the stream.
            var contentType: String?
            var failedBeforeBody = false
            let request = instanceRequest(lease, payload: payload, headers: headers)
            do {
                if let onBody {
                    for try await part in invoker.stream(request) {
                        receivedAnything = true
                        switch part {
                        case .head(let status, let headers):
                            outcome.status = status
                            outcome.headers = headers
                            contentType = headers["content-type"]
                            failedBeforeBody = headers["x-amz-function-error"] != nil
                        case .body(let bytes) where failedBeforeBody:
                            outcome.body += bytes
                        case .body(let bytes):
                            try await onBody(bytes, contentType)
                            contentType = nil
                        case .trailers(let trailers):
                            outcome.headers.merge(trailers) { $1 }
                        }
                    }
                } else {
                    // Buffered: the whole response in one wake-up of this task.
                    let response = try await invoker.send(request)
                    outcome.status = response.status
                    outcome.headers = response.headers
                    outcome.body = response.body
                }
                // A cancelled consumer ends the stream quietly; it is not a success.
                try Task.checkCancellation()
                await release(lease, reusable: true)
                return outcome
            } catch {
                switch AttemptRules.afterFailure(error, receivedAnything: receivedAnything) {
                case .retry:
                    lastFailure = (error as? WorkerError)?.message ?? "\(error)"
                    await evict(lease)
                case .fail:
                    await release(lease, reusable: false)
                    throw error
                }
            }
        }
        throw WorkerError(.attemptsExhausted, "\(configuration.maxAttempts) attempts never reached a handler; last: \(lastFailure)")
    }

    private nonisolated func instanceRequest(_ lease: Lease, payload: [UInt8], headers: [(String, String)]) -> InstanceRequest {
        InstanceRequest(endpoint: lease.endpoint, body: payload, headers: headers, timeout: runningBudget(lease) + configuration.invokeGrace)
    }

    /// How long an invocation may run on its instance: the function's timeout, counted from
    /// when the runtime takes the event, plus the init phase on a cold start (the runtime
    /// starts with the first invocation).
    nonisolated func runningBudget(_ lease: Lease) -> Duration {
        .seconds(lease.timeoutSeconds) + (lease.coldStart ? configuration.initBudget : .zero)
    }
}

import ShoalProtocol

/// The result of one invocation as the instance gave it.
public struct InvocationOutcome: Sendable, Hashable {
    public var status = 0
    /// Response header names, lowercased.
    public var headers: [String: String] = [:]
    /// The whole body, unless it was streamed to `onBody`.
    public var body: [UInt8] = []
    public var instanceID = ""
    public var coldStart = false
    /// Attempts it took; more than one means dead instances were evicted on the way.
    public var attempts = 0
}

extension WarmPoolManager {
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
    /// outcome.
    public nonisolated func invoke(
        _ name: String,
        expectedDeploy: DeployID? = nil,
        payload: [UInt8],
        headers: [(String, String)] = [],
        onBody: (@Sendable ([UInt8]) async throws -> Void)? = nil
    ) async throws -> InvocationOutcome {
        var lastFailure = "no attempt was made"
        for attempt in 1...configuration.maxAttempts {
            let lease = try await acquire(name, expectedDeploy: expectedDeploy, firstAttempt: attempt == 1)
            let recentlyServed = lease.lastSuccessAgo.map { $0 < configuration.probeFreshness } ?? false
            let reachable = recentlyServed ? true : await probe.isReachable(lease.endpoint)
            guard reachable else {
                lastFailure = "instance \(lease.instanceID) at \(lease.endpoint) failed its reachability probe"
                logger.info("evicting unreachable instance", metadata: ["instance": "\(lease.instanceID)"])
                await evict(lease)
                continue
            }
            var outcome = InvocationOutcome(instanceID: lease.instanceID, coldStart: lease.coldStart, attempts: attempt)
            var receivedAnything = false
            let request = InstanceRequest(
                endpoint: lease.endpoint, body: payload, headers: headers,
                timeout: .seconds(lease.timeoutSeconds) + configuration.invokeGrace
            )
            do {
                if let onBody {
                    for try await part in invoker.stream(request) {
                        receivedAnything = true
                        switch part {
                        case .head(let status, let headers):
                            outcome.status = status
                            outcome.headers = headers
                        case .body(let bytes):
                            try await onBody(bytes)
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
            } catch let error as WorkerError where error.code == .notDelivered && !receivedAnything {
                lastFailure = error.message
                await evict(lease)
            } catch {
                await release(lease, reusable: false)
                throw error
            }
        }
        throw WorkerError(.attemptsExhausted, "\(configuration.maxAttempts) attempts never reached a handler; last: \(lastFailure)")
    }
}

import Foundation
import Logging
import NIOConcurrencyHelpers
import ShoalProtocol

/// Event (asynchronous) invocations: accepted at once, run in the background.
///
/// As Lambda does, a failed attempt (a function error, or Shoal could not run it) is tried
/// again up to `maximumRetries` times, `retryDelay` apart. Shutdown waits for the queue,
/// bounded by the drain deadline.
final class EventInvocations: Sendable {
    struct Configuration: Sendable {
        /// Retries after the first attempt (AWS: 0...2, default 2).
        var maximumRetries = 2
        var retryDelay: Duration = .seconds(1)
    }

    let configuration: Configuration
    private let router: InvokeRouter
    private let logger: Logger
    private let running = NIOLockedValueBox<[UUID: Task<Void, Never>]>([:])

    init(configuration: Configuration, router: InvokeRouter, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
    }

    var pending: Int { running.withLockedValue { $0.count } }

    func enqueue(_ record: FunctionRecord, deployID: String, _ params: ClientAPI.InvokeParams) {
        let id = UUID()
        router.metrics.increment(.eventInvocations, labels: [("function", record.name)])
        let task = Task { [self] in
            defer { _ = running.withLockedValue { $0.removeValue(forKey: id) } }
            for attempt in 0...configuration.maximumRetries {
                if attempt > 0 { try? await Task.sleep(for: configuration.retryDelay) }
                guard !Task.isCancelled else { return }
                do {
                    let result = try await router.invoke(record, deployID: deployID, params)
                    if result.functionError == nil { return }
                    logger.info("event invocation failed in the function", metadata: ["function": "\(record.name)", "attempt": "\(attempt + 1)"])
                } catch {
                    logger.warning(
                        "event invocation could not run", metadata: ["function": "\(record.name)", "attempt": "\(attempt + 1)", "error": "\(error)"])
                }
            }
        }
        running.withLockedValue { $0[id] = task }
    }

    /// Waits for queued events until `deadline`, then cancels what is left.
    func drain(until deadline: ContinuousClock.Instant) async {
        while pending > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for task in running.withLockedValue({ Array($0.values) }) { task.cancel() }
    }
}

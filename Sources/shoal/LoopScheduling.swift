import ArgumentParser
import CShoalSystem
import Foundation
import Logging
import NIOCore
import NIOPosix
import ShoalProtocol
import Synchronization

/// The kernel scheduling policy of a server process's event loop threads (gateway, worker),
/// chosen by load.
///
/// Under Linux's default policy, SCHED_OTHER, a thread woken by a socket preempts the thread
/// that woke it. Client, gateway, worker and instances wake one another for every message,
/// so under load each sender is switched out in the middle of its loop pass, and switched
/// back in later to finish it: two context switches where one would do, and fewer messages
/// per pass. Under SCHED_BATCH a woken thread does not preempt; it waits for the sender to
/// finish its pass, or runs on another core. Measured on two cores (docs/performance-log.md):
///
/// - with one caller, the next hop then waits for the end of the sender's pass: added p50
///   11 to 35 µs higher;
/// - with 8 and 16 callers, gateway plus worker used about 10 CPU µs less per invocation and
///   served 5 to 7% more invocations per second;
/// - with 32 and 64 callers, CPU per invocation fell too, but throughput fell by 10 to 22%:
///   with the cores saturated, the gateway, which every message passes twice, waited behind
///   busy clients and instances instead of running when its data arrived.
///
/// So by default (`adaptive`) the loops run under SCHED_BATCH while the peak of requests
/// served at once (`ServingLoad`, one look every `interval`) is from `batchFrom` to below
/// `normalFrom`, and under SCHED_OTHER when it is `normalAtOrBelow` or less, or `normalFrom`
/// or more; a change is one `sched_setscheduler` per loop, made only when the choice changes.
/// Neither policy needs a privilege. Processes inherit the policy of the thread that starts
/// them, so every `shoal` process first puts itself under the default one (`Shoal.main`):
/// instances, which are `shoal rie` processes, run under it, as does the scripted backend's
/// instance thread (`ScriptedBackend.ownThread`).
///
/// `SHOAL_SCHEDULING` chooses: `adaptive` (default), `batch` (always), `normal` (never touch
/// the policy).
final class LoopScheduling: Sendable {
    enum Mode: String, Sendable, CaseIterable {
        case adaptive, batch, normal
    }

    struct Configuration: Sendable {
        var mode = Mode.adaptive
        /// How often the load is looked at.
        var interval: TimeAmount = .milliseconds(50)
        /// Peak of requests served at once from which the loops run under SCHED_BATCH.
        var batchFrom = 4
        /// Peak at or below which they run under SCHED_OTHER (between this and `batchFrom`,
        /// no change, so a load that wavers does not flip the policy at every look).
        var normalAtOrBelow = 2
        /// Peak from which they run under SCHED_OTHER again: the cores are likely saturated.
        var normalFrom = 24

        /// The configuration `SHOAL_SCHEDULING` asks for; an unknown mode is a usage error.
        static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Configuration {
            var configuration = Configuration()
            if let text = environment["SHOAL_SCHEDULING"] {
                guard let mode = Mode(rawValue: text) else {
                    throw ValidationError("SHOAL_SCHEDULING must be \(Mode.allCases.map(\.rawValue).joined(separator: ", ") ), not \"\(text)\"")
                }
                configuration.mode = mode
            }
            return configuration
        }
    }

    private let configuration: Configuration
    /// The kernel ids of the loop threads.
    private let threads: [pid_t]
    /// Whether the loops are under SCHED_BATCH now. Only the one repeated task (or `start`,
    /// before it) changes it.
    private let batched = Mutex(false)
    private let logger: Logger

    private init(configuration: Configuration, threads: [pid_t], logger: Logger) {
        self.configuration = configuration
        self.threads = threads
        self.logger = logger
    }

    /// Applies `configuration` to the loops of `group`: at once for `batch`, from now on by
    /// load for `adaptive` (a repeated task on one loop keeps looking for the life of the
    /// process).
    static func start(
        _ configuration: Configuration,
        group: MultiThreadedEventLoopGroup = .singleton,
        logger: Logger = Logger(label: "shoal.scheduling")
    ) async throws {
        guard configuration.mode != .normal else { return }
        var threads: [pid_t] = []
        for loop in group.makeIterator() {
            threads.append(try await loop.submit { shoal_thread_id() }.get())
        }
        let scheduling = LoopScheduling(configuration: configuration, threads: threads, logger: logger)
        if configuration.mode == .batch {
            scheduling.set(batch: true)
        } else {
            group.next().scheduleRepeatedTask(initialDelay: configuration.interval, delay: configuration.interval) { task in
                if !scheduling.look() { task.cancel() }
            }
        }
    }

    /// One look at the load: switches the policy when the peak crossed a threshold. False
    /// when the kernel refused a switch (a seccomp profile, say): then the looks stop and the
    /// loops stay under SCHED_OTHER.
    private func look() -> Bool {
        let peak = ServingLoad.takePeak()
        let wanted: Bool
        if peak <= configuration.normalAtOrBelow || peak >= configuration.normalFrom {
            wanted = false
        } else if peak >= configuration.batchFrom {
            wanted = true
        } else {
            return true
        }
        guard batched.withLock({ $0 }) != wanted else { return true }
        logger.debug("event loops switch scheduling policy", metadata: ["policy": "\(wanted ? "SCHED_BATCH" : "SCHED_OTHER")", "peak": "\(peak)"])
        return set(batch: wanted)
    }

    /// Puts every loop under SCHED_BATCH or SCHED_OTHER; on a refusal, puts them all back
    /// under SCHED_OTHER, says so once, and gives up. False when it gave up.
    @discardableResult
    private func set(batch: Bool) -> Bool {
        for thread in threads where shoal_set_thread_scheduling(thread, batch ? 1 : 0) != 0 {
            let error = errno
            for thread in threads { _ = shoal_set_thread_scheduling(thread, 0) }
            batched.withLock { $0 = false }
            logger.warning(
                "the kernel refused a change of scheduling policy; the event loops stay under SCHED_OTHER",
                metadata: ["thread": "\(thread)", "errno": "\(error)"])
            return false
        }
        batched.withLock { $0 = batch }
        return true
    }
}

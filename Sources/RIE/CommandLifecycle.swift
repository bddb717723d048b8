import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle
import ShoalRuntimeInterface

/// The serving phase of `shoal up`, `gateway`, `worker` and `rie` on swift-service-lifecycle:
/// SIGTERM, SIGINT or the death of the parent process starts a graceful shutdown, and the
/// group stops the command's parts one at a time, in the reverse of the order they started.
package enum CommandLifecycle {
    /// Prints `readyLine` once the signals are trapped (a parent may send SIGTERM as soon as it
    /// reads the line), then serves until shutdown and stops `parts` last-first.
    package static func serve(readyLine: String, parts: [StoppedPart], logger: Logger) async throws {
        var services = parts.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        services.append(.init(service: ReadyLine(line: readyLine)))
        // The parent's death ends this process as a signal would: its return shuts the group down.
        services.append(.init(service: ParentWatch(), successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }
}

/// Something a command started and must stop in order: `stop` runs when the group reaches it
/// during shutdown (or when the group is cancelled).
package struct StoppedPart: Service {
    package var name: String
    package var stop: @Sendable () async -> Void

    package init(_ name: String, stop: @escaping @Sendable () async -> Void) {
        self.name = name
        self.stop = stop
    }

    package func run() async {
        try? await gracefulShutdown()
        await stop()
    }
}

/// Writes the command's ready line, unbuffered, once every part is running and the signals
/// are trapped; a parent process waits for it to learn the ports.
private struct ReadyLine: Service {
    var line: String

    func run() async {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
        try? await gracefulShutdown()
    }
}

/// Returns when the process that started this one is gone, which shuts the group down.
///
/// `shoal rie` and `shoal worker` are started by a worker, `shoal up` or a test; if that parent
/// dies without stopping them (a crash, a SIGKILL), they would live on as orphans holding ports,
/// runtimes and the parent's pipes. A parent's death shows as a changed parent pid, checked
/// twice a second. The parent is SHOAL_PARENT_PID when a `RuntimeProcess` started this one: a
/// parent that died between the spawn and the first look has already been replaced by a reaper.
private struct ParentWatch: Service {
    func run() async {
        let parent = ProcessInfo.processInfo.environment[RuntimeProcess.parentVariable].flatMap { pid_t($0) } ?? getppid()
        guard parent > 1 else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            await Self.parentGone(parent)
        }
    }

    /// Returns once `getppid()` is no longer `parent`, or the task is cancelled. The look is a
    /// repeated task on an event loop, not `Task.sleep`: Swift's timers run on libdispatch
    /// threads, so each look would wake two threads, and a worker's hundreds of idle `shoal-rie`
    /// processes then cost a measurable share of the machine (docs/performance-log.md).
    private static func parentGone(_ parent: pid_t) async {
        let state = NIOLockedValueBox<(continuation: CheckedContinuation<Void, Never>?, done: Bool)>((nil, false))
        let finish: @Sendable () -> Void = {
            state.withLockedValue { state in
                state.done = true
                state.continuation?.resume()
                state.continuation = nil
            }
        }
        let look = MultiThreadedEventLoopGroup.singleton.next().scheduleRepeatedTask(
            initialDelay: .milliseconds(500), delay: .milliseconds(500)
        ) { _ in
            if getppid() != parent { finish() }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                state.withLockedValue { state in
                    if state.done { continuation.resume() } else { state.continuation = continuation }
                }
            }
        } onCancel: {
            finish()
        }
        look.cancel()
    }
}

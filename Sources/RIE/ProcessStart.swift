import CShoalSystem
import Foundation
import Logging
import NIOCore
import NIOPosix
import ShoalExecutor

/// What every Shoal process does before its command runs: the scheduling policy, the log
/// handler and the executor. Shared by `shoal` and the lean `shoal-rie`.
package enum ProcessStart {
    /// `eventLoops` caps NIO's singleton group (nil: one per core). An RIE serves one
    /// invocation at a time, so one loop does, and each thread it does not start is memory
    /// every warm instance keeps.
    package static func prepare(eventLoops: Int? = nil) {
        // Before any thread exists: every `shoal` process starts under the default scheduling
        // policy, whatever its parent's thread ran under (`LoopScheduling`). Instances are
        // `shoal rie` processes, so they and the runtimes they start run under it too.
        _ = shoal_set_thread_scheduling(0, 0)
        if let eventLoops { NIOSingletons.groupLoopCountSuggestion = eventLoops }
        // One level for every process of a fleet: children inherit the variable.
        let level = ProcessInfo.processInfo.environment["SHOAL_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return LazyMetadataLogHandler(handler)
        }
        // Every Swift task runs on NIO's event loops (`LoopGlobalExecutor`), so a request
        // handler and the socket it answers on share a thread instead of hopping between the
        // cooperative pool and an event loop (measured: small-call round trips about twice as
        // fast; docs/performance-log.md, "The executor"). Safe because nothing in Shoal blocks
        // a task's thread. `SHOAL_NIO_EXECUTOR=0` turns it off; `=nio` uses NIO's own takeover.
        switch ProcessInfo.processInfo.environment["SHOAL_NIO_EXECUTOR"] {
        case "0":
            break
        case "nio":  // NIO's own takeover, for comparison (docs/performance-log.md)
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        default:
            if !LoopGlobalExecutor.install() {
                NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            }
        }
    }
}

import CShoalSystem
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Swift Concurrency's global executor on NIO's singleton event loops, each job run as the
/// generic executor.
///
/// Every task then runs on an event loop: a request, the task it starts and the socket it
/// answers on share one thread (NIO's `any()` is sticky: a job enqueued from a loop stays on
/// it). NIO offers the same takeover (`NIOSingletons.unsafeTryInstall...`), but runs each job
/// *as the event loop's serial executor*. Nonisolated async code belongs to the generic
/// executor, so every call into it and every return to it found the task on the wrong
/// executor: parked, enqueued on the loop again and resumed (`swift_task_switch`, about 8% of
/// the gateway's CPU at 64 callers by `perf`). Run as the generic executor, as Swift's own
/// global executor runs jobs, those hops cost nothing.
package enum LoopGlobalExecutor {
    /// The runtime's hook for enqueueing a global job: the job, and the runtime's own
    /// implementation (unused: every job goes to a loop).
    private typealias EnqueueGlobalHook = @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void

    /// Whether `install` has run in this process (it may run once).
    private static let installed = Atomic<Bool>(false)

    /// Installs the hook, once per process; false (nothing changed) on a toolchain whose hook
    /// this was not written against, where the runtime offers no hook, where another hook is
    /// already installed, or where an executor reference is not the two words this relies on.
    /// The same safeguards NIO's own takeover takes.
    package static func install() -> Bool {
        #if compiler(>=6.0) && compiler(<6.4)
            guard !installed.exchange(true, ordering: .acquiringAndReleasing) else { return false }
            // The hook by reference, not by dlsym: a --static-swift-stdlib build exports no
            // runtime symbols, and there dlsym found nothing and every task hopped threads.
            guard MemoryLayout<UnownedSerialExecutor>.size == 2 * MemoryLayout<UInt>.size,
                let slot = UnsafeMutableRawPointer(shoal_enqueue_global_hook()),
                slot.load(as: UInt.self) == 0
            else { return false }
            store(into: slot)
            return true
        #else
            return false
        #endif
    }

    private static func store(into slot: UnsafeMutableRawPointer) {
        let hook: EnqueueGlobalHook = { job, _ in
            MultiThreadedEventLoopGroup.singleton.any().execute { job.runSynchronously(on: LoopGlobalExecutor.generic) }
        }
        withUnsafeBytes(of: hook) { bytes in
            slot.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
    }

    /// The runtime's generic executor: a null identity and implementation (what the default
    /// global executor passes to `swift_job_run`). Swift offers no public spelling of it.
    private static let generic = unsafeBitCast((UInt(0), UInt(0)), to: UnownedSerialExecutor.self)
}

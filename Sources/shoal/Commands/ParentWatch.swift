import Foundation
import ShoalRuntimeInterface

/// Ends this process in order (as SIGTERM would) when the process that started it is gone.
///
/// `shoal rie` and `shoal worker` are started by a worker, `shoal up` or a test; if that
/// parent dies without stopping them (a crash, a SIGKILL), they would live on as orphans,
/// holding ports, runtimes and the parent's pipes. A parent's death shows as a changed
/// parent process id, checked twice a second.
enum ParentWatch {
    /// The parent is the pid in SHOAL_PARENT_PID when a `RuntimeProcess` started this one: a
    /// parent that died between the spawn and this call has already been replaced by a
    /// reaper, and the process would otherwise never notice.
    static func start() {
        let parent = ProcessInfo.processInfo.environment[RuntimeProcess.parentVariable].flatMap { pid_t($0) } ?? getppid()
        guard parent > 1 else { return }
        Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                if getppid() != parent {
                    kill(getpid(), SIGTERM)
                    return
                }
            }
        }
    }
}

import Foundation

/// Ends this process in order (as SIGTERM would) when the process that started it is gone.
///
/// `shoal rie` and `shoal worker` are started by a worker, `shoal up` or a test; if that
/// parent dies without stopping them (a crash, a SIGKILL), they would live on as orphans,
/// holding ports, runtimes and the parent's pipes. A parent's death shows as a changed
/// parent process id, checked twice a second.
enum ParentWatch {
    static func start() {
        let parent = getppid()
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

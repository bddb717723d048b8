import NIOCore

/// Runs the jobs of the tasks that prefer it on one event loop. In `shoal` every task runs on
/// an event loop (NIO is installed as the global executor); tests run on Swift's own pool, and
/// use this to make a call from a chosen loop.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

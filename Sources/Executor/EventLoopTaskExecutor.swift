import NIOCore

/// Runs the jobs of the tasks that prefer it on one event loop: a connection's task on its
/// channel's loop (the gateway's HTTP port), or, in tests that run on Swift's own pool, a call
/// made from a chosen loop.
package final class EventLoopTaskExecutor: TaskExecutor {
    package let loop: any EventLoop

    package init(_ loop: any EventLoop) {
        self.loop = loop
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

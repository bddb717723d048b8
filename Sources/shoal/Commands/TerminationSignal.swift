import Dispatch
import Foundation

/// Waits for SIGTERM or SIGINT, so a command can shut down in order (stop instances, close
/// sockets) instead of dying with children left behind.
enum TerminationSignal {
    static func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "shoal.signals")
            let resumed = ResumeOnce(continuation)
            var sources: [any DispatchSourceSignal] = []
            for signalNumber in [SIGTERM, SIGINT] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { resumed.resume(signalNumber) }
                source.resume()
                sources.append(source)
            }
            // The sources must outlive this scope; they live as long as the process waits.
            SignalSources.keep(sources)
        }
    }

    private final class ResumeOnce: @unchecked Sendable {
        private var continuation: CheckedContinuation<Int32, Never>?
        private let lock = NSLock()

        init(_ continuation: CheckedContinuation<Int32, Never>) { self.continuation = continuation }

        func resume(_ value: Int32) {
            lock.lock()
            let pending = continuation
            continuation = nil
            lock.unlock()
            pending?.resume(returning: value)
        }
    }

    private enum SignalSources {
        nonisolated(unsafe) static var kept: [any DispatchSourceSignal] = []
        static func keep(_ sources: [any DispatchSourceSignal]) { kept.append(contentsOf: sources) }
    }
}

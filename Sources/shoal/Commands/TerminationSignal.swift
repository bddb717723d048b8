import Dispatch
import Foundation
import NIOConcurrencyHelpers

/// SIGTERM and SIGINT, so a command can shut down in order (stop instances, close sockets)
/// instead of dying with children left behind.
///
/// `install` runs before a command says it is ready: a parent that sends SIGTERM as soon as it
/// reads the ready line must find the signal handled. (Installed only when `wait` began, the
/// signal could land between ready and the handler: ignored and lost, the process then ran on
/// until its parent killed it.) A signal that comes before `wait` is kept for it.
enum TerminationSignal {
    private struct State {
        var installed = false
        var received: Int32?
        var waiter: CheckedContinuation<Int32, Never>?
    }

    private static let state = NIOLockedValueBox(State())
    /// The sources must outlive `install`; written once, under `state`'s lock.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// Starts listening; call early, before announcing readiness. Idempotent.
    static func install() {
        state.withLockedValue { state in
            guard !state.installed else { return }
            state.installed = true
            let queue = DispatchQueue(label: "shoal.signals")
            for signalNumber in [SIGTERM, SIGINT] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { arrived(signalNumber) }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// The first signal since `install` (which it calls if nothing did), waiting for one.
    static func wait() async -> Int32 {
        install()
        return await withCheckedContinuation { continuation in
            let received = state.withLockedValue { state -> Int32? in
                if let received = state.received { return received }
                state.waiter = continuation
                return nil
            }
            if let received { continuation.resume(returning: received) }
        }
    }

    private static func arrived(_ signalNumber: Int32) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Int32, Never>? in
            if state.received == nil { state.received = signalNumber }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: signalNumber)
    }
}

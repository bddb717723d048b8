import NIOConcurrencyHelpers
import ShoalProtocol

/// The send window of one streamed invocation: how many more chunk bytes the worker may send
/// before the reader (the gateway) grants more with `invoke.credit`.
///
/// A chunk is sent as soon as any credit is left, and may overdraw it by its own size, so the
/// bytes in flight stay under the window plus one chunk (at most one socket read, 64 KiB).
final class StreamCredit: Sendable {
    private struct State {
        var available: Int
        var waiter: CheckedContinuation<Void, any Error>?
    }

    private let state: NIOLockedValueBox<State>

    init(window: Int) {
        state = NIOLockedValueBox(State(available: window))
    }

    /// Waits until some credit is left, then spends `bytes` of it.
    func spend(_ bytes: Int) async throws {
        while true {
            try Task.checkCancellation()
            let spent = state.withLockedValue { state -> Bool in
                guard state.available > 0 else { return false }
                state.available -= bytes
                return true
            }
            if spent { return }
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let resumeNow = state.withLockedValue { state -> Bool in
                        guard state.available <= 0 else { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                state.withLockedValue { state in
                    defer { state.waiter = nil }
                    return state.waiter
                }?.resume(throwing: CancellationError())
            }
        }
    }

    func grant(_ bytes: Int) {
        state.withLockedValue { state in
            state.available += bytes
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }
}

/// The windows of the streams in flight on a worker, by connection and request id.
final class StreamCredits: Sendable {
    struct Key: Hashable {
        var connection: ObjectIdentifier
        var requestID: RPCID
    }

    private let windows = NIOLockedValueBox<[Key: StreamCredit]>([:])

    func open(_ key: Key, window: Int) -> StreamCredit {
        let credit = StreamCredit(window: window)
        windows.withLockedValue { $0[key] = credit }
        return credit
    }

    func close(_ key: Key) {
        _ = windows.withLockedValue { $0.removeValue(forKey: key) }
    }

    func grant(_ key: Key, bytes: Int) {
        windows.withLockedValue { $0[key] }?.grant(bytes)
    }
}

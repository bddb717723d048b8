import NIOCore

/// Runs `start` on `loop`, as an on-loop fast path is called: `start` either takes the call
/// (returns true and later completes it through the callback it is given) or leaves it
/// (returns false, nothing sent). Nil when it left the call, else the call's result.
func callOnLoop<Value: Sendable>(
    _ loop: any EventLoop,
    _ start: @escaping @Sendable (@escaping @Sendable (Result<Value, any Error>) -> Void) -> Bool
) async throws -> Value? {
    let answer = loop.makePromise(of: Value.self)
    let taken = try await loop.submit { start { answer.completeWith($0) } }.get()
    guard taken else {
        answer.fail(CancellationError())
        return nil
    }
    return try await answer.futureResult.get()
}

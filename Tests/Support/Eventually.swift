/// Polls `condition` every 10 ms until it holds or `timeout` passes; the last answer counts.
///
/// For what happens on the other side of a socket or in another process: there is no event to
/// wait on, only a state to observe.
package func eventually(timeout: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

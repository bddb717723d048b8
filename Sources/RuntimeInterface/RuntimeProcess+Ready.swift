import Foundation

/// Waiting for a `shoal` child (an RIE, a worker, a bench server) that announces itself with
/// one line ending in "ready" and naming the address it listens on, e.g.
/// `shoal worker listening on 127.0.0.1:4571 backend process max-concurrency 10 ready`.
extension RuntimeProcess {
    package struct NotReady: Error, CustomStringConvertible {
        package var description: String
    }

    /// The port of the first "... HOST:PORT ... ready" line in `output`.
    package static func readyPort(in output: String) -> Int? {
        for line in output.split(separator: "\n") where line.hasSuffix("ready") {
            for word in line.split(separator: " ") {
                let parts = word.split(separator: ":")
                if parts.count == 2, parts[0].contains("."), let port = Int(parts[1]) { return port }
            }
        }
        return nil
    }

    /// Waits until the process has printed its ready line into `logs`, and its pid is known
    /// (the line can be read before the spawn has recorded the pid; a pid of 0 would mean
    /// "my own process group" to kill(2)). Fails if it exits or `timeout` passes first.
    package func waitUntilReady(logs: LogBuffer, timeout: Duration) async throws -> (port: Int, pid: pid_t) {
        let deadline = ContinuousClock.now + timeout
        var why = "not ready within \(timeout)"
        while ContinuousClock.now < deadline {
            let seen = logs.end
            if let port = Self.readyPort(in: String(decoding: logs.contents, as: UTF8.self)), let pid, pid > 1 {
                return (port, pid)
            }
            if let pid, kill(pid, 0) != 0 {  // it died before it got ready
                why = "exited before it was ready"
                break
            }
            try Task.checkCancellation()
            // Woken by its next output; the limit is for a death or a pid not recorded yet.
            await logs.wait(beyond: seen, atMost: .milliseconds(pid == nil ? 1 : 25))
        }
        throw NotReady(description: "\(why): \(String(decoding: logs.contents.suffix(2048), as: UTF8.self))")
    }

    /// SIGTERM, so the process can stop what it started, then waits for it to exit; after
    /// `grace` the whole group is killed.
    @discardableResult
    package func terminate(grace: Duration = .seconds(10)) async -> Exit {
        // Not started yet: nothing to signal, and waiting for an exit nobody asked for could
        // wait forever. Stopping cancels the spawn, or kills the group if it just happened.
        guard let pid, pid > 1 else { return await stop() }
        kill(pid, SIGTERM)
        let waited = Task { await exited }
        let deadline = ContinuousClock.now + grace
        while kill(pid, 0) == 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        if kill(pid, 0) == 0 { return await stop() }
        return await waited.value
    }
}

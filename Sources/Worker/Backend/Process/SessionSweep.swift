import Foundation

/// Finds and kills every process in a session, from /proc.
///
/// Each instance's RIE leads a session of its own, and nothing it starts leaves it (runtimes
/// get a new process group, not a new session), so the session id names every process of the
/// instance, even after the RIE itself died.
enum SessionSweep {
    /// Process ids whose session id is `session`.
    static func members(of session: pid_t) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { Int32($0) }.filter { sessionID(of: $0) == session }
    }

    static func sessionID(of pid: pid_t) -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let afterName = stat.range(of: ") ", options: .backwards)?.upperBound
        else { return nil }
        // After "(comm) ": state, ppid, pgrp, session.
        let fields = stat[afterName...].split(separator: " ")
        guard fields.count > 3, fields[0] != "Z" else { return nil }
        return Int32(fields[3])
    }

    /// SIGKILLs the session's processes until none is left (or attempts run out).
    @discardableResult
    static func kill(session: pid_t, attempts: Int = 50) async -> Bool {
        // 0 and 1 are not instance sessions (and kill(0, ...) would hit our own group).
        guard session > 1 else { return false }
        for _ in 0..<attempts {
            let pids = members(of: session)
            if pids.isEmpty { return true }
            for pid in pids { Glibc.kill(pid, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return members(of: session).isEmpty
    }
}

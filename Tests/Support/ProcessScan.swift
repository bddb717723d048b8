import Foundation

/// Looks through /proc for processes, so a test can prove it left none behind.
package enum ProcessScan {
    /// Command lines (arguments joined by spaces) of running processes that contain `text`;
    /// zombies and this test process are left out.
    package static func commandLines(containing text: String) -> [String] {
        let own = ProcessInfo.processInfo.processIdentifier
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> String? in
            guard let pid = Int32(entry), pid != own,
                let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !raw.isEmpty
            else { return nil }
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            guard let close = stat.range(of: ") ", options: .backwards) else { return nil }
            let fields = stat[close.upperBound...].split(separator: " ")
            if fields.first == "Z" { return nil }
            let line = String(decoding: raw.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            guard line.contains(text) else { return nil }
            let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ").map { String(decoding: $0, as: UTF8.self) } ?? ""
            let started = environ.split(separator: "\0").first { $0.hasPrefix("SHOAL_PARENT_PID=") } ?? "?"
            return "\(pid) (parent \(fields.count > 1 ? fields[1] : "?"), \(started)): \(line)"
        }
    }

    /// Each thread of a process: its name and its scheduling policy (the `policy` field of
    /// /proc/PID/task/TID/stat: 0 SCHED_OTHER, 3 SCHED_BATCH).
    package static func threads(of pid: pid_t) -> [(name: String, policy: Int)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { tid in
            guard let name = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                let close = stat.range(of: ") ", options: .backwards)
            else { return nil }
            // Fields after the name start at the third (state); policy is the 41st.
            let fields = stat[close.upperBound...].split(separator: " ")
            guard fields.count > 38, let policy = Int(fields[38]) else { return nil }
            return (name.trimmingCharacters(in: .newlines), policy)
        }
    }

    /// Resident set size of a process in bytes, from /proc/PID/status.
    package static func residentBytes(of pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}

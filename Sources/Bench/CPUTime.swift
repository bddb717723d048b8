import Foundation

/// A process's or thread's CPU time split as the kernel accounts it: user space (our code,
/// the Swift runtime, NIO) and the kernel on its behalf (syscalls, socket work, wake-ups).
/// Benchmarks report both because they point at different fixes: at one caller on a 2-vCPU
/// VM most of an invocation's CPU is user-space code run with cold caches, not syscalls.
/// The kernel accounts by ticks (`CLK_TCK`, 100 per second to user space), so a figure is
/// good only over many invocations.
struct CPUTime: Sendable {
    var user: Duration = .zero
    var system: Duration = .zero

    var total: Duration { user + system }

    /// utime and stime of a /proc stat file; zero if it cannot be read.
    init(stat path: String) {
        guard let stat = try? String(contentsOfFile: path, encoding: .utf8),
            let afterName = stat.range(of: ") ", options: .backwards)?.upperBound
        else { return }
        // After "(comm) ": state is field 3, utime 14, stime 15.
        let fields = stat[afterName...].split(separator: " ")
        guard fields.count > 12 else { return }
        let ticksPerSecond = max(sysconf(Int32(_SC_CLK_TCK)), 1)
        user = .microseconds((Int(fields[11]) ?? 0) * 1_000_000 / ticksPerSecond)
        system = .microseconds((Int(fields[12]) ?? 0) * 1_000_000 / ticksPerSecond)
    }

    init(user: Duration = .zero, system: Duration = .zero) {
        self.user = user
        self.system = system
    }

    static func + (lhs: CPUTime, rhs: CPUTime) -> CPUTime {
        CPUTime(user: lhs.user + rhs.user, system: lhs.system + rhs.system)
    }

    static func - (lhs: CPUTime, rhs: CPUTime) -> CPUTime {
        CPUTime(user: lhs.user - rhs.user, system: lhs.system - rhs.system)
    }

    static func / (lhs: CPUTime, rhs: Int) -> CPUTime {
        CPUTime(user: lhs.user / rhs, system: lhs.system / rhs)
    }
}

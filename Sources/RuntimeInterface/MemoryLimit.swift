import CShoalSystem
import Foundation

/// The function's MemorySize, applied to its runtime process.
///
/// Where the worker could create a cgroup (v1 memory controller, as root) the runtime joins
/// it, and the kernel kills it when it goes over, as Lambda does. Elsewhere the fallback is
/// RLIMIT_DATA: allocations beyond the limit fail instead (a runtime that reserves more
/// address space than it uses may not start under a small one).
package struct MemoryLimit: Sendable, Hashable {
    package var megabytes: Int
    /// A cgroup directory (with `cgroup.procs`) the worker prepared, if any.
    package var cgroup: String?

    package init(megabytes: Int, cgroup: String? = nil) {
        self.megabytes = megabytes
        self.cgroup = cgroup
    }

    package func apply(to pid: pid_t) {
        if let cgroup, (try? "\(pid)".write(toFile: "\(cgroup)/cgroup.procs", atomically: false, encoding: .utf8)) != nil {
            return
        }
        _ = shoal_set_data_limit(pid, UInt64(megabytes) * 1024 * 1024)
    }
}

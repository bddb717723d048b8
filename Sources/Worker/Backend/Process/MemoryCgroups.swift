import Foundation

/// The memory cgroups (v1 controller) that hold each instance to its MemorySize.
///
/// Every backend keeps its cgroups under a directory of its own, `shoal/worker-PID-TAG` (the
/// tag tells apart two backends of one process), so that a worker can tell what an earlier
/// life left behind: a worker killed with `kill -9` cannot remove its cgroups, and the next
/// worker on the machine sweeps every such directory whose process is gone (killing what
/// still runs in it, then removing it).
struct MemoryCgroups: Sendable {
    /// Where Shoal's cgroups live: under the memory controller's mount.
    static let shoalRoot = "/sys/fs/cgroup/memory/shoal"

    /// This worker's directory.
    let directory: String

    /// Prepares this worker's directory, after sweeping what dead workers left; nil where the
    /// memory controller is missing or not writable (instances then get RLIMIT_DATA).
    init?(root: String = Self.shoalRoot, pid: pid_t = getpid()) {
        let controller = (root as NSString).deletingLastPathComponent
        guard FileManager.default.fileExists(atPath: "\(controller)/cgroup.procs") else { return nil }
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        Self.sweepAbandoned(root: root)
        directory = "\(root)/worker-\(pid)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        guard mkdir(directory, 0o755) == 0 || errno == EEXIST, FileManager.default.isWritableFile(atPath: directory) else { return nil }
    }

    /// A cgroup for one instance with its memory limit, or nil if one cannot be made.
    func make(_ instanceID: String, megabytes: Int) -> String? {
        let path = "\(directory)/\(instanceID)"
        guard mkdir(path, 0o755) == 0 || errno == EEXIST,
            (try? "\(megabytes * 1024 * 1024)".write(toFile: "\(path)/memory.limit_in_bytes", atomically: false, encoding: .utf8)) != nil
        else {
            return nil
        }
        return path
    }

    /// Removes an instance's cgroup once its processes are gone.
    func remove(_ path: String?) {
        if let path { rmdir(path) }
    }

    /// Removes this worker's directory; after every instance has stopped.
    func removeAll() {
        Self.removeTree(directory)
    }

    /// Removes the directories of workers that no longer run, and the flat per-instance
    /// cgroups older versions made directly under the root.
    static func sweepAbandoned(root: String = shoalRoot) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for name in names {
            let path = "\(root)/\(name)"
            if name.hasPrefix("worker-") {
                let pid = name.dropFirst("worker-".count).prefix { $0 != "-" }
                guard let pid = pid_t(pid), !isRunning(pid) else { continue }
                removeTree(path)
            } else if FileManager.default.fileExists(atPath: "\(path)/cgroup.procs") {
                removeTree(path)
            }
        }
    }

    /// Whether a process with this id exists (EPERM: it does, and is someone else's).
    static func isRunning(_ pid: pid_t) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }

    /// Kills what still runs in the cgroup `path` and in the cgroups below it, then removes
    /// them, deepest first (a cgroup directory goes only with rmdir, and only when empty).
    private static func removeTree(_ path: String) {
        let children = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for child in children where FileManager.default.fileExists(atPath: "\(path)/\(child)/cgroup.procs") {
            removeTree("\(path)/\(child)")
        }
        for attempt in 0..<50 {
            if rmdir(path) == 0 || errno == ENOENT { return }
            let pids = ((try? String(contentsOfFile: "\(path)/cgroup.procs", encoding: .utf8)) ?? "")
                .split(separator: "\n").compactMap { pid_t($0) }
            for pid in pids { kill(pid, SIGKILL) }
            usleep(attempt < 5 ? 2_000 : 20_000)
        }
    }
}

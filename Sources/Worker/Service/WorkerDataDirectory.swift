import Foundation

/// Where a worker keeps uploaded code, unpacked deploys and its bundled runtime loops.
///
/// A worker started without `--data-dir` makes a directory of its own under the system's
/// temporary directory. Nothing in it outlives the worker (the gateway sends code again to a
/// worker that lacks it), so the worker removes it when it stops; otherwise every `shoal
/// worker` and `shoal-bench` run would leave one behind. A directory the caller named is
/// the caller's and is kept.
package struct WorkerDataDirectory: Sendable {
    package let url: URL
    /// True when the worker made the directory for itself and so removes it when it stops.
    package let isOwnedByWorker: Bool

    /// `path` as given by the operator, or else a fresh `shoal-worker-PID` directory under
    /// `TMPDIR` (the PID, because a name that says which process left it helps after a
    /// `kill -9`, the one exit that cannot clean up).
    package init(path: String?) {
        if let path {
            url = URL(fileURLWithPath: path)
            isOwnedByWorker = false
        } else {
            let temporary = FileManager.default.temporaryDirectory
            Self.sweepAbandoned(in: temporary)
            url = temporary.appendingPathComponent("shoal-worker-\(ProcessInfo.processInfo.processIdentifier)")
            isOwnedByWorker = true
        }
    }

    /// Removes the directories that workers killed with `kill -9` left in `temporary`: a
    /// `shoal-worker-PID` whose process no longer runs. Without this they accumulate.
    static func sweepAbandoned(in temporary: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary.path) else { return }
        for name in names where name.hasPrefix("shoal-worker-") {
            guard let pid = pid_t(name.dropFirst("shoal-worker-".count)), !MemoryCgroups.isRunning(pid) else { continue }
            CodeUnpacker.removeTree(temporary.appendingPathComponent(name))
        }
    }

    /// Removes the directory if the worker made it; call after every instance has stopped.
    /// Unpacked deploys are read-only (as in Lambda), so the tree is made writable first.
    package func removeIfOwned() {
        if isOwnedByWorker { CodeUnpacker.removeTree(url) }
    }
}

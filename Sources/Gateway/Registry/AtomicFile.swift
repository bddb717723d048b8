import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Whole-file writes that survive a crash at any moment: the bytes go to a temporary file in
/// the same directory, which is fsynced, renamed over the target, and the directory fsynced.
/// A reader therefore sees the old file or the new one, never a torn mix, even after
/// `kill -9` or a power cut. Blocking: call from a thread pool, never a Swift task's thread.
enum AtomicFile {
    /// The marker in temporary names; `removeLeftovers` deletes files carrying it.
    static let temporaryMarker = ".tmp-"

    static func write(_ bytes: some Collection<UInt8>, to path: String) throws {
        let temporary = path + temporaryMarker + UUID().uuidString
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("create \(temporary)") }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        let contiguous = Array(bytes)
        var written = 0
        while written < contiguous.count {
            let result = contiguous.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                close(descriptor)
                throw failure("write \(temporary)")
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            close(descriptor)
            throw failure("fsync \(temporary)")
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw failure("rename \(temporary)") }
        ok = true
        try syncDirectory(of: path)
    }

    /// Removes `path` and makes the removal durable.
    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("unlink \(path)") }
        try syncDirectory(of: path)
    }

    /// Deletes temporary files a crash left behind in `directory`.
    static func removeLeftovers(in directory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.contains(temporaryMarker) {
            unlink(directory + "/" + name)
        }
    }

    private static func syncDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open directory \(directory)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("fsync directory \(directory)") }
    }

    private static func failure(_ what: String) -> GatewayError {
        GatewayError(.storage, "could not \(what): \(String(cString: strerror(errno)))")
    }
}

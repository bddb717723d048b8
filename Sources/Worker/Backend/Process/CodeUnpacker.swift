import Foundation
import ShoalProtocol
import ZIPFoundation

/// Unpacks a function's code or layer zip, refusing what could write outside the target or
/// fill the disk: `../` entries, absolute paths, links pointing out of the tree, more than
/// `ZipStructure.maximumUnzippedBytes` of content (counted as it is written, not as the
/// archive claims), and corrupt archives. Everything is unpacked into a staging directory first and renamed
/// into place only when all of it passed, so a refused archive leaves nothing behind.
enum CodeUnpacker {
    /// Unpacks `archives` in order into `destination` (later archives overwrite earlier files,
    /// as layers do). A no-op if `destination` exists: deploy directories are immutable.
    static func unpack(_ archives: [URL], into destination: URL, limit: UInt64 = ZipStructure.maximumUnzippedBytes) throws(WorkerError) {
        let fileManager = FileManager.default
        guard !fileManager.fileExists(atPath: destination.path) else { return }
        let staging = destination.deletingLastPathComponent().appendingPathComponent(".staging-\(UUID().uuidString)")
        do {
            try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw WorkerError(.internalFailure, "could not create \(staging.path): \(error)")
        }
        do throws(WorkerError) {
            var written: UInt64 = 0
            for archive in archives {
                try unpackOne(archive, into: staging, written: &written, limit: limit)
            }
            makeReadOnly(staging)
            if rename(staging.path, destination.path) != 0 {
                // Another launch of the same deploy got there first: theirs is as good.
                guard fileManager.fileExists(atPath: destination.path) else {
                    throw WorkerError(.internalFailure, "could not move code into \(destination.path): errno \(errno)")
                }
                removeTree(staging)
            }
        } catch {
            removeTree(staging)
            throw error
        }
    }

    private static func unpackOne(_ zip: URL, into root: URL, written: inout UInt64, limit: UInt64) throws(WorkerError) {
        let archive: Archive
        do {
            archive = try Archive(url: zip, accessMode: .read)
        } catch {
            throw invalid("Could not unzip uploaded file. Please check your file, then try to upload again.")
        }
        var links: [(path: String, target: String)] = []
        for entry in archive {
            let path = try safeRelativePath(entry.path)
            let target = root.appendingPathComponent(path)
            switch entry.type {
            case .directory:
                try createDirectory(target)
            case .symlink:
                var bytes = Data()
                try extract(entry, from: archive) { bytes.append($0) }
                links.append((path, String(decoding: bytes, as: UTF8.self)))
            case .file:
                try createDirectory(target.deletingLastPathComponent())
                try? FileManager.default.removeItem(at: target) // a later layer overwrites
                guard FileManager.default.createFile(atPath: target.path, contents: nil),
                      let handle = try? FileHandle(forWritingTo: target) else {
                    throw WorkerError(.internalFailure, "could not create \(target.path)")
                }
                defer { try? handle.close() }
                var failure: WorkerError?
                try extract(entry, from: archive) { data in
                    written += UInt64(data.count)
                    guard written <= limit else {
                        failure = invalid("Unzipped size must be smaller than \(limit) bytes")
                        throw CancellationError()
                    }
                    handle.write(data)
                } onFailure: { failure }
                let mode = (entry.fileAttributes[.posixPermissions] as? NSNumber)?.uint16Value ?? 0o644
                chmod(target.path, mode_t((mode & 0o777) | 0o400))
            }
        }
        // Links last, so that no file of the archive is ever written through one.
        for link in links {
            guard !link.target.hasPrefix("/"), resolvesInside(link.target, from: link.path) else {
                throw invalid("Could not unzip uploaded file: the link \(link.path) points outside the code directory")
            }
            let location = root.appendingPathComponent(link.path)
            try createDirectory(location.deletingLastPathComponent())
            try? FileManager.default.removeItem(at: location)
            guard symlink(link.target, location.path) == 0 else {
                throw WorkerError(.internalFailure, "could not create link \(link.path): errno \(errno)")
            }
        }
        // A chain of links can leave the tree although each one alone stays inside
        // (`up -> ..`, then `b -> a/up/..`): resolve every link for real.
        guard let rootPointer = realpath(root.path, nil) else { return }
        let realRoot = String(cString: rootPointer)
        free(rootPointer)
        for link in links {
            let location = root.appendingPathComponent(link.path).path
            guard let resolved = realpath(location, nil) else { continue } // dangling: checked textually above
            defer { free(resolved) }
            let path = String(cString: resolved)
            guard path == realRoot || path.hasPrefix(realRoot + "/") else {
                throw invalid("Could not unzip uploaded file: the link \(link.path) resolves outside the code directory")
            }
        }
    }

    private static func extract(
        _ entry: Entry, from archive: Archive, _ consume: (Data) throws -> Void,
        onFailure: () -> WorkerError? = { nil }
    ) throws(WorkerError) {
        let checksum: CRC32
        do {
            checksum = try archive.extract(entry, consumer: consume)
        } catch {
            throw onFailure() ?? invalid("Could not unzip uploaded file: \(entry.path) is corrupt")
        }
        // ZIPFoundation checks the CRC only when it writes the file itself; damaged deflate data
        // can inflate without an error, so the checksum it computed is compared here.
        guard checksum == entry.checksum else {
            throw invalid("Could not unzip uploaded file: \(entry.path) is corrupt (CRC-32 mismatch)")
        }
    }

    /// The entry's path, normalized, if it stays inside the target; else the entry is refused.
    static func safeRelativePath(_ path: String) throws(WorkerError) -> String {
        guard !path.hasPrefix("/"), !path.contains("\0") else {
            throw invalid("Could not unzip uploaded file: absolute path \(path) in the archive")
        }
        var parts: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..":
                throw invalid("Could not unzip uploaded file: path \(path) leaves the code directory")
            default: parts.append(component)
            }
        }
        guard !parts.isEmpty else { throw invalid("Could not unzip uploaded file: empty entry name") }
        return parts.joined(separator: "/")
    }

    /// Whether a link at `path` (relative to the root) with relative `target` stays inside.
    static func resolvesInside(_ target: String, from path: String) -> Bool {
        var stack = path.split(separator: "/").dropLast().map(String.init)
        for component in target.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..":
                guard !stack.isEmpty else { return false }
                stack.removeLast()
            default: stack.append(String(component))
            }
        }
        return true
    }

    private static func createDirectory(_ url: URL) throws(WorkerError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw WorkerError(.internalFailure, "could not create \(url.path): \(error)")
        }
    }

    /// Clears every write bit: a deploy's code is shared by its instances and never changes.
    private static func makeReadOnly(_ root: URL) {
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return }
        for case let relative as String in walker {
            let path = root.appendingPathComponent(relative).path
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFLNK else { continue }
            chmod(path, info.st_mode & ~mode_t(0o222) & 0o7777)
        }
        chmod(root.path, 0o555)
    }

    /// Removes a tree even where it was made read-only.
    static func removeTree(_ root: URL) {
        if let walker = FileManager.default.enumerator(atPath: root.path) {
            for case let relative as String in walker {
                chmod(root.appendingPathComponent(relative).path, 0o755)
            }
        }
        chmod(root.path, 0o755)
        try? FileManager.default.removeItem(at: root)
    }

    private static func invalid(_ message: String) -> WorkerError {
        WorkerError(.invalidParameter, message)
    }
}

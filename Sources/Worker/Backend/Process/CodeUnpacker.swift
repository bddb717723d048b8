import Foundation
import ShoalProtocol
import ShoalZip

/// Unpacks a deploy's code or layer zips, refusing what could write outside the target or
/// fill the disk: the tree rules (`ZipTreeRules`: absolute paths, `..`, links out of the tree,
/// alone or chained, across the archives together) are checked before anything is written;
/// content is limited to `ZipArchive.maximumUnzippedBytes`, counted as it is written, not as
/// the archive claims; and every entry's CRC-32 is checked. Everything lands in a staging
/// directory first and is renamed into place only when all of it passed, so a refused
/// archive leaves nothing behind.
package enum CodeUnpacker {
    /// Unpacks `archives` in order into `destination` (later archives overwrite earlier files,
    /// as layers do). A no-op if `destination` exists: deploy directories are immutable.
    package static func unpack(_ archives: [URL], into destination: URL, limit: Int = ZipArchive.maximumUnzippedBytes) throws(WorkerError) {
        let fileManager = FileManager.default
        guard !fileManager.fileExists(atPath: destination.path) else { return }
        let staging = destination.deletingLastPathComponent().appendingPathComponent(".staging-\(UUID().uuidString)")
        guard mkdir(staging.path, 0o755) == 0 else {
            throw WorkerError(.internalFailure, "could not create \(staging.path): errno \(errno)")
        }
        do throws(WorkerError) {
            try unpack(archives, intoEmpty: staging.path, limit: limit)
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

    private static func unpack(_ urls: [URL], intoEmpty root: String, limit: Int) throws(WorkerError) {
        do throws(ZipError) {
            var archives: [ZipArchive] = []
            for url in urls {
                guard let data = FileManager.default.contents(atPath: url.path) else {
                    throw ZipError(.io, "could not read \(url.path)")
                }
                archives.append(try ZipArchive(Array(data)))
            }
            let inflater = ZipInflater()
            var tree = ZipTree()
            for archive in archives { try tree.add(archive, using: inflater) }
            try tree.checkLinks()
            var writer = TreeWriter(root: root, limit: limit, inflater: inflater)
            for (archive, paths) in zip(archives, tree.paths) { try writer.write(archive, paths: paths) }
            writer.makeReadOnly()
        } catch {
            switch error.code {
            case .io: throw WorkerError(.internalFailure, error.message)
            case .corrupt, .unsafePath, .tooLarge: throw WorkerError(.invalidParameter, error.message)
            }
        }
    }

    /// Removes a tree even where it was made read-only.
    package static func removeTree(_ root: URL) {
        if let walker = FileManager.default.enumerator(atPath: root.path) {
            for case let relative as String in walker {
                chmod(root.appendingPathComponent(relative).path, 0o755)
            }
        }
        chmod(root.path, 0o755)
        try? FileManager.default.removeItem(at: root)
    }
}

import Foundation
import ShoalZip

/// Writes checked archives into a directory with as few system calls per entry as `unzip`
/// makes: each directory is made once (remembered, not looked up again), each file is one
/// `open` with its final read-only mode, its writes and a `close`. No fsync: a deploy that
/// a crash cut short is unpacked again from its zip.
struct TreeWriter {
    let root: String
    let limit: Int
    let inflater: ZipInflater
    private(set) var written = 0
    /// Directories made so far, relative to the root ("" is the root).
    private var directories: Set<String> = [""]

    init(root: String, limit: Int, inflater: ZipInflater) {
        self.root = root
        self.limit = limit
        self.inflater = inflater
    }

    /// Writes `archive`'s entries at `paths` (normalized by `ZipTree`); its links last, so no
    /// file of the archive is written through one.
    mutating func write(_ archive: ZipArchive, paths: [String]) throws(ZipError) {
        var links: [(path: String, target: String)] = []
        for (entry, path) in zip(archive.entries, paths) {
            switch entry.kind {
            case .directory:
                try makeDirectory(path)
            case .symlink:
                links.append((path, try inflater.linkTarget(entry, of: archive)))
            case .file:
                try makeDirectory(Self.parent(of: path))
                try writeFile(entry, of: archive, at: path)
            }
        }
        for link in links {
            try makeDirectory(Self.parent(of: link.path))
            let location = "\(root)/\(link.path)"
            unlink(location)  // a later layer replaces what an earlier one put here
            guard symlink(link.target, location) == 0 else { throw ZipError(.io, "could not create link \(link.path): errno \(errno)") }
        }
    }

    /// Clears the write bits of every directory (files are made read-only as they are created):
    /// a deploy's code is shared by its instances and never changes, as in Lambda.
    func makeReadOnly() {
        for directory in directories { chmod(directory.isEmpty ? root : "\(root)/\(directory)", 0o555) }
    }

    private mutating func makeDirectory(_ path: String) throws(ZipError) {
        guard !directories.contains(path) else { return }
        try makeDirectory(Self.parent(of: path))
        guard mkdir("\(root)/\(path)", 0o755) == 0 || errno == EEXIST else {
            throw ZipError(.io, "could not create directory \(path): errno \(errno)")
        }
        directories.insert(path)
    }

    private mutating func writeFile(_ entry: ZipEntry, of archive: ZipArchive, at path: String) throws(ZipError) {
        let location = "\(root)/\(path)"
        // Owner-readable always, never writable (as Lambda's /var/task).
        let mode = mode_t(((entry.permissions ?? 0o644) & 0o777 | 0o400) & ~0o222)
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW
        var descriptor = open(location, flags, mode)
        if descriptor < 0, errno == EEXIST {
            unlink(location)  // a later layer overwrites
            descriptor = open(location, flags, mode)
        }
        guard descriptor >= 0 else { throw ZipError(.io, "could not create \(path): errno \(errno)") }
        defer { close(descriptor) }
        let limit = limit
        var written = written
        defer { self.written = written }
        try inflater.read(entry, of: archive) { (piece) throws(ZipError) in
            written += piece.count
            guard written <= limit else { throw ZipError(.tooLarge, "Unzipped size must be smaller than \(limit) bytes") }
            var offset = 0
            while offset < piece.count {
                let count = Glibc.write(descriptor, piece.baseAddress! + offset, piece.count - offset)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { throw ZipError(.io, "could not write \(path): errno \(errno)") }
                offset += count
            }
        }
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }
}

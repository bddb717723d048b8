/// The rules an archive keeps to be unpacked into a directory, as pure functions of its
/// entries: no absolute path, no `..` above the root, and no link that leads out of the tree,
/// alone or through other links (`up -> ..` is refused; so is `b -> a/up/x` when `a/up -> ../..`).
///
/// The gateway applies them to each upload at create, and a worker to the code and layers of a
/// deploy together before it writes anything.
package enum ZipTreeRules {
    /// Links followed in one resolution before it counts as a loop (Linux's own limit).
    static let maximumHops = 40

    /// The entry's path, normalized (no `.`, no empty parts), or `unsafePath`.
    package static func relativePath(_ path: String) throws(ZipError) -> String {
        guard !path.hasPrefix("/"), !path.utf8.contains(0) else {
            throw ZipError(.unsafePath, "Could not unzip uploaded file: absolute path \(path) in the archive")
        }
        var parts: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) where component != "." {
            guard component != ".." else {
                throw ZipError(.unsafePath, "Could not unzip uploaded file: path \(path) leaves the code directory")
            }
            parts.append(component)
        }
        guard !parts.isEmpty else { throw ZipError(.unsafePath, "Could not unzip uploaded file: an entry has an empty name") }
        return parts.joined(separator: "/")
    }

    /// Throws `unsafePath` unless every link (normalized path to target) resolves inside the
    /// tree when followed through the others. A loop resolves nowhere, so leaves nothing.
    package static func checkLinks(_ links: [String: String]) throws(ZipError) {
        for (path, target) in links.sorted(by: { $0.key < $1.key }) {
            guard !target.hasPrefix("/"), staysInside(parent(of: path) + components(target), links: links) else {
                throw ZipError(.unsafePath, "Could not unzip uploaded file: the link \(path) points outside the code directory")
            }
        }
    }

    /// Walks `path` from the root as the kernel would, replacing each link met by its target.
    static func staysInside(_ path: [Substring], links: [String: String]) -> Bool {
        var pending = Array(path.reversed())
        var resolved: [Substring] = []
        var hops = 0
        while let component = pending.popLast() {
            switch component {
            case "", ".":
                continue
            case "..":
                guard !resolved.isEmpty else { return false }
                resolved.removeLast()
            default:
                resolved.append(component)
                guard let target = links[resolved.joined(separator: "/")] else { continue }
                hops += 1
                guard hops <= maximumHops else { return true }
                guard !target.hasPrefix("/") else { return false }
                resolved.removeLast()
                pending.append(contentsOf: components(target).reversed())
            }
        }
        return true
    }

    private static func components(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func parent(of path: String) -> [Substring] {
        Array(components(path).dropLast())
    }
}

/// An archive's entries as they will land: each one's normalized path, and the links' targets.
package struct ZipTree: Sendable {
    /// Per archive added, its entries' normalized paths in entry order.
    package var paths: [[String]] = []
    package var links: [String: String] = [:]

    package init() {}

    /// Adds `archive` on top (as a later layer overwrites): its paths are checked, its links
    /// read; a file or directory replaces a link of the same path.
    package mutating func add(_ archive: ZipArchive, using inflater: ZipInflater) throws(ZipError) {
        var archivePaths: [String] = []
        archivePaths.reserveCapacity(archive.entries.count)
        defer { paths.append(archivePaths) }
        for entry in archive.entries {
            let path = try ZipTreeRules.relativePath(entry.path)
            archivePaths.append(path)
            if entry.kind == .symlink {
                links[path] = try inflater.linkTarget(entry, of: archive)
            } else {
                links[path] = nil
            }
        }
    }

    /// Throws unless every link of the tree stays inside it.
    package func checkLinks() throws(ZipError) {
        try ZipTreeRules.checkLinks(links)
    }
}

import Foundation

/// A tar stream (ustar, with GNU long names) built in memory: what the engine's archive
/// upload takes to put code into `/var/task` and layers into `/opt`.
package struct TarArchive: Sendable {
    package enum Entry: Sendable, Hashable {
        case file(path: String, bytes: [UInt8], mode: Int)
        case directory(path: String, mode: Int)
        case symlink(path: String, target: String)
    }

    package private(set) var bytes: [UInt8] = []

    package init() {}

    package init(_ entries: [Entry]) {
        for entry in entries { append(entry) }
        finish()
    }

    package mutating func append(_ entry: Entry) {
        switch entry {
        case .file(let path, let content, let mode):
            header(path, type: "0", mode: mode, size: content.count)
            bytes += content
            pad()
        case .directory(let path, let mode):
            header(path.hasSuffix("/") ? path : path + "/", type: "5", mode: mode, size: 0)
        case .symlink(let path, let target):
            if target.utf8.count > 100 { longName(target, type: "K") }
            header(path, type: "2", mode: 0o777, size: 0, link: target)
        }
    }

    /// Two zero blocks end the archive.
    package mutating func finish() {
        bytes += [UInt8](repeating: 0, count: 1024)
    }

    /// The entries of a directory tree, relative to it, with their modes and links.
    package static func entries(ofDirectory root: URL) throws -> [Entry] {
        let manager = FileManager.default
        var entries: [Entry] = []
        guard let walker = manager.enumerator(atPath: root.path) else { return [] }
        while let relative = walker.nextObject() as? String {
            let path = root.appendingPathComponent(relative).path
            let attributes = try manager.attributesOfItem(atPath: path)
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o644
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?: entries.append(.directory(path: relative, mode: mode))
            case .typeSymbolicLink?: entries.append(.symlink(path: relative, target: try manager.destinationOfSymbolicLink(atPath: path)))
            case .typeRegular?: entries.append(.file(path: relative, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))), mode: mode))
            default: continue
            }
        }
        return entries
    }

    private mutating func header(_ path: String, type: Character, mode: Int, size: Int, link: String = "") {
        if path.utf8.count > 100 { longName(path, type: "L") }
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(path, at: 0, width: 100)
        octal(mode & 0o7777, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(0, at: 136, width: 12)
        put(String(type), at: 156, width: 1)
        put(link, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        // The checksum is summed with its own field as spaces.
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        octal(sum, at: 148, width: 7)
        block[155] = 0x20
        bytes += block
    }

    /// A GNU long name (`L`) or long link (`K`): the full text as the next entry's.
    private mutating func longName(_ text: String, type: Character) {
        let content = Array(text.utf8) + [0]
        header("././@LongLink", type: type, mode: 0, size: content.count)
        bytes += content
        pad()
    }

    private mutating func pad() {
        let remainder = bytes.count % 512
        if remainder != 0 { bytes += [UInt8](repeating: 0, count: 512 - remainder) }
    }
}

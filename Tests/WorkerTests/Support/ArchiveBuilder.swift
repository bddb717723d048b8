import Foundation
import ZIPFoundation

/// Builds zip archives for tests, hostile ones included (ZIPFoundation writes what it is told).
struct ArchiveBuilder {
    enum Item {
        case file(String, String, permissions: UInt16 = 0o644)
        /// A file kept uncompressed, so damage to its bytes is caught only by the CRC.
        case stored(String, String)
        case zeros(String, bytes: Int64)
        case link(String, target: String)
        case directory(String)
    }

    static func build(_ items: [Item], in directory: URL = FileManager.default.temporaryDirectory) throws -> URL {
        let url = directory.appendingPathComponent("archive-\(UUID().uuidString).zip")
        let archive = try Archive(url: url, accessMode: .create)
        for item in items {
            switch item {
            case .file(let path, let content, let permissions):
                let data = Data(content.utf8)
                try archive.addEntry(
                    with: path, type: .file, uncompressedSize: Int64(data.count), permissions: permissions,
                    compressionMethod: .deflate
                ) { (position: Int64, size: Int) in
                    data.subdata(in: Int(position)..<Int(position) + size)
                }
            case .stored(let path, let content):
                let data = Data(content.utf8)
                try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .none) {
                    (position: Int64, size: Int) in data.subdata(in: Int(position)..<Int(position) + size)
                }
            case .zeros(let path, let bytes):
                try archive.addEntry(
                    with: path, type: .file, uncompressedSize: bytes, compressionMethod: .deflate,
                    bufferSize: 1 << 20
                ) { (_: Int64, size: Int) in Data(count: size) }
            case .link(let path, let target):
                let data = Data(target.utf8)
                try archive.addEntry(with: path, type: .symlink, uncompressedSize: Int64(data.count)) { (_: Int64, _: Int) in data }
            case .directory(let path):
                try archive.addEntry(with: path, type: .directory, uncompressedSize: Int64(0)) { (_: Int64, _: Int) in Data() }
            }
        }
        return url
    }

    static func bytes(_ items: [Item]) throws -> [UInt8] {
        let url = try build(items)
        defer { try? FileManager.default.removeItem(at: url) }
        return Array(try Data(contentsOf: url))
    }
}

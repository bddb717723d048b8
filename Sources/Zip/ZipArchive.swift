/// A zip archive in memory and its central directory, read once (zip64 included).
///
/// Shoal reads zips itself, on zlib, rather than through ZIPFoundation: that library reads a
/// symlink entry's data without inflating it (a deflated in-tree link then fails its CRC), and
/// it looks every entry up again in the file, which made a 100,000-entry zip take three times
/// as long as `unzip` (docs/performance-log.md).
package struct ZipArchive: Sendable {
    /// Lambda's limit for unzipped code and layers together.
    package static let maximumUnzippedBytes = 250 * 1024 * 1024

    package let bytes: [UInt8]
    package let entries: [ZipEntry]

    /// Parses the central directory and checks that every entry's header and data lie inside
    /// the archive; throws `corrupt` otherwise.
    package init(_ bytes: [UInt8]) throws(ZipError) {
        self.bytes = bytes
        let directory = try Self.directory(bytes)
        var entries: [ZipEntry] = []
        entries.reserveCapacity(directory.count)
        var position = directory.offset
        for _ in 0..<directory.count {
            let (entry, next) = try Self.entry(bytes, at: position, directoryEnd: directory.offset + directory.size)
            entries.append(entry)
            position = next
        }
        self.entries = entries
    }

    // MARK: End of central directory

    private struct Directory {
        var count: Int
        var size: Int
        var offset: Int
    }

    private static func directory(_ bytes: [UInt8]) throws(ZipError) -> Directory {
        guard bytes.count >= 22 else { throw .corrupt("too short to be a zip archive") }
        guard let end = findEndRecord(bytes) else { throw .corrupt("no end of central directory record") }
        var directory = Directory(count: Int(bytes.uint16(end + 10)), size: Int(bytes.uint32(end + 12)), offset: Int(bytes.uint32(end + 16)))
        if directory.count == 0xFFFF || directory.size == 0xFFFF_FFFF || directory.offset == 0xFFFF_FFFF {
            // Zip64: the real figures are in the zip64 end record, which the locator points to.
            guard end >= 20 + 56, bytes.uint32(end - 20) == 0x0706_4b50 else { throw .corrupt("zip64 locator missing") }
            let record = bytes.uint64(end - 12)
            guard record <= UInt64(end - 20 - 56), bytes.uint32(Int(record)) == 0x0606_4b50 else {
                throw .corrupt("zip64 end of central directory record missing")
            }
            let at = Int(record)
            let count = bytes.uint64(at + 32)
            let size = bytes.uint64(at + 40)
            let offset = bytes.uint64(at + 48)
            guard count <= UInt64(bytes.count), size <= UInt64(bytes.count), offset <= UInt64(bytes.count) else {
                throw .corrupt("zip64 figures outside the archive")
            }
            directory = Directory(count: Int(count), size: Int(size), offset: Int(offset))
        }
        guard directory.offset + directory.size <= end else { throw .corrupt("central directory outside the archive") }
        // Every central entry takes at least 46 bytes: a count past that is a lie, and would
        // otherwise size the entry table before the walk finds out.
        guard directory.count <= directory.size / 46 else { throw .corrupt("more entries than the central directory can hold") }
        return directory
    }

    private static func findEndRecord(_ bytes: [UInt8]) -> Int? {
        let last = bytes.count - 22
        var position = last
        while position >= max(0, last - 65_535) {
            if bytes.uint32(position) == 0x0605_4b50 { return position }
            position -= 1
        }
        return nil
    }

    // MARK: Entries

    private static func entry(_ bytes: [UInt8], at position: Int, directoryEnd: Int) throws(ZipError) -> (ZipEntry, next: Int) {
        guard position + 46 <= directoryEnd, bytes.uint32(position) == 0x0201_4b50 else { throw .corrupt("bad central directory entry") }
        let madeBy = bytes.uint16(position + 4)
        let flags = bytes.uint16(position + 8)
        let nameLength = Int(bytes.uint16(position + 28))
        let extraLength = Int(bytes.uint16(position + 30))
        let commentLength = Int(bytes.uint16(position + 32))
        let next = position + 46 + nameLength + extraLength + commentLength
        guard next <= directoryEnd else { throw .corrupt("central directory overruns its end") }
        guard flags & 1 == 0 else { throw .corrupt("encrypted entries are not supported") }
        let path = String(decoding: bytes[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self)
        var compressed = UInt64(bytes.uint32(position + 20))
        var uncompressed = UInt64(bytes.uint32(position + 24))
        var localOffset = UInt64(bytes.uint32(position + 42))
        readZip64Extra(
            bytes, from: position + 46 + nameLength, length: extraLength,
            uncompressed: &uncompressed, compressed: &compressed, localOffset: &localOffset)
        // The local header: its own name and extra lengths say where the data starts.
        guard localOffset + 30 <= UInt64(bytes.count), bytes.uint32(Int(localOffset)) == 0x0403_4b50 else {
            throw .corrupt("\(path) points to a missing local header")
        }
        let local = Int(localOffset)
        let dataOffset = local + 30 + Int(bytes.uint16(local + 26)) + Int(bytes.uint16(local + 28))
        guard compressed <= UInt64(bytes.count), uncompressed <= UInt64(Int.max), dataOffset + Int(compressed) <= bytes.count else {
            throw .corrupt("\(path) has data outside the archive")
        }
        let external = bytes.uint32(position + 38)
        let unix = madeBy >> 8 == 3
        let type = unix ? external >> 16 & ZipEntry.typeMask : 0
        let kind: ZipEntry.Kind =
            type == ZipEntry.symlinkType
            ? .symlink
            : (path.hasSuffix("/") || type == ZipEntry.directoryType ? .directory : .file)
        let entry = ZipEntry(
            path: path, kind: kind, method: bytes.uint16(position + 10), crc32: bytes.uint32(position + 16),
            compressedSize: Int(compressed), uncompressedSize: Int(uncompressed), dataOffset: dataOffset,
            permissions: unix ? UInt16(external >> 16 & 0o7777) : nil
        )
        return (entry, next)
    }

    /// The zip64 extra field (id 1) holds, in this order, the figures whose 32-bit fields are
    /// all ones.
    private static func readZip64Extra(
        _ bytes: [UInt8], from start: Int, length: Int, uncompressed: inout UInt64, compressed: inout UInt64, localOffset: inout UInt64
    ) {
        var position = start
        while position + 4 <= start + length {
            let id = bytes.uint16(position)
            let size = Int(bytes.uint16(position + 2))
            defer { position += 4 + size }
            guard id == 1 else { continue }
            var field = position + 4
            let end = min(position + 4 + size, start + length)
            if uncompressed == 0xFFFF_FFFF, field + 8 <= end {
                uncompressed = bytes.uint64(field)
                field += 8
            }
            if compressed == 0xFFFF_FFFF, field + 8 <= end {
                compressed = bytes.uint64(field)
                field += 8
            }
            if localOffset == 0xFFFF_FFFF, field + 8 <= end { localOffset = bytes.uint64(field) }
        }
    }
}

extension [UInt8] {
    func uint16(_ at: Int) -> UInt16 {
        UInt16(self[at]) | UInt16(self[at + 1]) << 8
    }

    func uint32(_ at: Int) -> UInt32 {
        UInt32(self[at]) | UInt32(self[at + 1]) << 8 | UInt32(self[at + 2]) << 16 | UInt32(self[at + 3]) << 24
    }

    func uint64(_ at: Int) -> UInt64 {
        UInt64(uint32(at)) | UInt64(uint32(at + 4)) << 32
    }
}

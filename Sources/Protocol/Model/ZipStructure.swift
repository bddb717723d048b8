/// A structural check of a zip archive, without unpacking it: the end-of-central-directory
/// record is found, the central directory lies inside the file, and every entry's header and
/// local header are where they claim to be. Enough to refuse a truncated or corrupt upload at
/// the door; the backend that unpacks applies the content rules (paths, links, sizes).
public enum ZipStructure {
    /// Lambda's limit for unzipped code and layers together: the gateway checks an upload
    /// against it (`ZipContent`), the worker what it unpacks for one deploy (`CodeUnpacker`).
    public static let maximumUnzippedBytes: UInt64 = 250 * 1024 * 1024

    /// Throws InvalidParameterValueException (AWS's "Could not unzip uploaded file") for a
    /// corrupt or truncated archive.
    public static func validate(_ bytes: [UInt8]) throws(RPCError) {
        let endRecordSize = 22
        guard bytes.count >= endRecordSize else { throw corrupt("too short to be a zip archive") }
        guard let end = findEndRecord(bytes) else { throw corrupt("no end of central directory record") }
        let entries = Int(uint16(bytes, end + 10))
        let directorySize = Int(uint32(bytes, end + 12))
        let directoryOffset = Int(uint32(bytes, end + 16))
        if entries == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // Zip64: the real figures live in the zip64 record, which must be present.
            guard end >= 20, uint32(bytes, end - 20) == 0x0706_4b50 else { throw corrupt("zip64 locator missing") }
            return
        }
        guard directoryOffset + directorySize <= end else { throw corrupt("central directory outside the archive") }
        var position = directoryOffset
        for _ in 0..<entries {
            guard position + 46 <= end, uint32(bytes, position) == 0x0201_4b50 else { throw corrupt("bad central directory entry") }
            let nameLength = Int(uint16(bytes, position + 28))
            let extraLength = Int(uint16(bytes, position + 30))
            let commentLength = Int(uint16(bytes, position + 32))
            let localOffset = Int(uint32(bytes, position + 42))
            guard localOffset + 30 <= directoryOffset, uint32(bytes, localOffset) == 0x0403_4b50 else {
                throw corrupt("entry points to a missing local header")
            }
            position += 46 + nameLength + extraLength + commentLength
        }
        guard position <= end else { throw corrupt("central directory overruns its end record") }
    }

    /// The entry names of a structurally valid archive (empty for zip64, whose directory
    /// this reader does not walk).
    public static func entryNames(_ bytes: [UInt8]) -> [String] {
        guard (try? validate(bytes)) != nil, let end = findEndRecord(bytes) else { return [] }
        let entries = Int(uint16(bytes, end + 10))
        let directoryOffset = Int(uint32(bytes, end + 16))
        guard entries != 0xFFFF, directoryOffset != 0xFFFF_FFFF else { return [] }
        var names: [String] = []
        var position = directoryOffset
        for _ in 0..<entries {
            let nameLength = Int(uint16(bytes, position + 28))
            names.append(String(decoding: bytes[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self))
            position += 46 + nameLength + Int(uint16(bytes, position + 30)) + Int(uint16(bytes, position + 32))
        }
        return names
    }

    private static func findEndRecord(_ bytes: [UInt8]) -> Int? {
        let last = bytes.count - 22
        let first = max(0, last - 65_535)
        var position = last
        while position >= first {
            if uint32(bytes, position) == 0x0605_4b50 { return position }
            position -= 1
        }
        return nil
    }

    private static func uint16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    private static func uint32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    private static func corrupt(_ why: String) -> RPCError {
        RPCError(.invalidParams, "Could not unzip uploaded file: \(why)")
    }
}

/// Whole-frame UTF-8 validation.
///
/// Foundation's JSONDecoder checks UTF-8 only inside the strings it actually decodes, so a frame
/// with invalid bytes in a member nobody reads would pass. Shoal's frames are UTF-8 JSON (docs/api.md),
/// and invalid UTF-8 is a parse error, so the whole frame is checked first. Frames are mostly
/// ASCII (base64 payloads), so eight bytes at a time are tested for a high bit before the
/// standard library's validator sees the rest.
package enum UTF8Validation {
    package static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var index = 0
        while index + 8 <= count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            index += 8
        }
        while index < count, bytes[index] < 0x80 { index += 1 }
        guard index < count else { return true }
        // Back up to a character boundary is unnecessary: everything before `index` is ASCII.
        let rest = UnsafeBufferPointer(rebasing: bytes.bindMemory(to: UInt8.self)[index...])
        return String(validating: rest, as: UTF8.self) != nil
    }
}

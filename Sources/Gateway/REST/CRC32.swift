import CShoalZlib

/// CRC-32 (IEEE 802.3), as AWS event-stream frames use for their prelude and message checksums.
///
/// zlib's implementation is table-driven and vectorized; this only adapts it to Swift buffers
/// and lets a checksum be built up over several pieces.
package struct CRC32: Sendable, Hashable {
    package private(set) var value: UInt32 = 0

    package init() {}

    package init(_ bytes: some Sequence<UInt8>) {
        update(bytes)
    }

    package mutating func update(_ bytes: some Sequence<UInt8>) {
        let updated =
            bytes.withContiguousStorageIfAvailable { buffer in
                Self.crc(value, buffer)
            }
            ?? Array(bytes).withUnsafeBufferPointer { buffer in
                Self.crc(value, buffer)
            }
        value = updated
    }

    private static func crc(_ seed: UInt32, _ buffer: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var crc = UInt(seed)
        var offset = 0
        // zlib takes a 32-bit length; feed larger inputs in pieces.
        while offset < buffer.count {
            let length = min(buffer.count - offset, Int(UInt32.max))
            crc = crc32(crc, buffer.baseAddress! + offset, UInt32(length))
            offset += length
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}

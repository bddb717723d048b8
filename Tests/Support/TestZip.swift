import Crypto
import Foundation

/// Builds small stored (uncompressed) zip archives for tests.
package enum TestZip {
    package static func make(_ files: [String: String]) -> [UInt8] {
        var archive: [UInt8] = []
        var directory: [UInt8] = []
        for (name, content) in files.sorted(by: { $0.key < $1.key }) {
            let data = Array(content.utf8)
            let nameBytes = Array(name.utf8)
            let crc = crc32(data)
            let offset = UInt32(archive.count)
            archive +=
                le32(0x0403_4b50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0)
                + le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(UInt16(nameBytes.count)) + le16(0)
                + nameBytes + data
            directory +=
                le32(0x0201_4b50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0)
                + le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(UInt16(nameBytes.count))
                + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + nameBytes
        }
        let directoryOffset = UInt32(archive.count)
        archive += directory
        archive +=
            le32(0x0605_4b50) + le16(0) + le16(0) + le16(UInt16(files.count)) + le16(UInt16(files.count))
            + le32(UInt32(directory.count)) + le32(directoryOffset) + le16(0)
        return archive
    }

    package static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    private static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
    private static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xff) } }
}

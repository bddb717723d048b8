/// One entry of a zip's central directory, as far as Shoal needs it.
package struct ZipEntry: Sendable, Hashable {
    package enum Kind: Sendable, Hashable {
        case file, directory, symlink
    }

    /// The name as stored (not yet checked: see `ZipTreeRules`).
    package var path: String
    package var kind: Kind
    /// 0 stored, 8 deflated; others are refused when read.
    package var method: UInt16
    package var crc32: UInt32
    package var compressedSize: Int
    package var uncompressedSize: Int
    /// Offset of the entry's data (past its local header) in the archive.
    package var dataOffset: Int
    /// Permission bits from a Unix "made by" entry, else nil.
    package var permissions: UInt16?

    /// Unix file-type bits in the external attributes' high half.
    static let typeMask: UInt32 = 0o170000
    static let symlinkType: UInt32 = 0o120000
    static let directoryType: UInt32 = 0o040000
}

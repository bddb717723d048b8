import CShoalZlib

/// Reads entries' content out of one archive, checking each one's size and CRC-32.
///
/// One zlib stream and one output buffer serve every entry (`inflateReset`, not a new stream
/// per entry): an archive of many small files is mostly per-entry overhead otherwise.
/// Not thread-safe: one per unpacking.
package final class ZipInflater {
    private var stream = z_stream()
    private var streamReady = false
    private let buffer: UnsafeMutableRawBufferPointer
    /// The longest link target read (PATH_MAX).
    static let maximumLinkBytes = 4096

    package init(bufferSize: Int = 256 * 1024) {
        buffer = .allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit {
        if streamReady { inflateEnd(&stream) }
        buffer.deallocate()
    }

    /// Hands `entry`'s content to `consume` in pieces (valid only during the call). Throws
    /// `corrupt` when the data does not inflate to the size and CRC-32 the directory gives;
    /// whatever `consume` throws ends the read.
    package func read(
        _ entry: ZipEntry, of archive: ZipArchive, _ consume: (UnsafeRawBufferPointer) throws(ZipError) -> Void
    ) throws(ZipError) {
        // `withUnsafeBytes` rethrows untyped: the outcome comes out as a typed Result.
        let outcome = archive.bytes.withUnsafeBytes { all -> Result<(Int, UInt), ZipError> in
            let input = UnsafeRawBufferPointer(rebasing: all[entry.dataOffset..<(entry.dataOffset + entry.compressedSize)])
            switch entry.method {
            case 0: return Result { () throws(ZipError) in try copyStored(input, consume) }
            case 8: return Result { () throws(ZipError) in try inflateDeflated(input, entry: entry, consume) }
            default:
                return .failure(.corrupt("\(entry.path) uses compression method \(entry.method); only stored and deflated entries are supported"))
            }
        }
        let (produced, checksum) = try outcome.get()
        guard produced == entry.uncompressedSize else {
            throw .corrupt("\(entry.path) is corrupt (\(produced) bytes where the directory says \(entry.uncompressedSize))")
        }
        guard UInt32(truncatingIfNeeded: checksum) == entry.crc32 else { throw .corrupt("\(entry.path) is corrupt (CRC-32 mismatch)") }
    }

    /// A link's target: the entry's content, inflated like any other (zip tools deflate links too).
    package func linkTarget(_ entry: ZipEntry, of archive: ZipArchive) throws(ZipError) -> String {
        guard entry.uncompressedSize <= Self.maximumLinkBytes else { throw .corrupt("the link \(entry.path) is longer than a path can be") }
        var target: [UInt8] = []
        try read(entry, of: archive) { target.append(contentsOf: $0) }
        return String(decoding: target, as: UTF8.self)
    }

    private func copyStored(_ input: UnsafeRawBufferPointer, _ consume: (UnsafeRawBufferPointer) throws(ZipError) -> Void) throws(ZipError) -> (
        Int, UInt
    ) {
        var checksum = crc32(0, nil, 0)
        var offset = 0
        while offset < input.count {
            let piece = UnsafeRawBufferPointer(rebasing: input[offset..<min(offset + buffer.count, input.count)])
            checksum = crc32(checksum, piece.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(piece.count))
            try consume(piece)
            offset += piece.count
        }
        return (input.count, checksum)
    }

    private func inflateDeflated(
        _ input: UnsafeRawBufferPointer, entry: ZipEntry, _ consume: (UnsafeRawBufferPointer) throws(ZipError) -> Void
    ) throws(ZipError) -> (Int, UInt) {
        if streamReady {
            inflateReset(&stream)
        } else {
            guard shoal_inflate_init_raw(&stream) == Z_OK else { throw ZipError(.io, "zlib could not start inflating") }
            streamReady = true
        }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        var checksum = crc32(0, nil, 0)
        var produced = 0
        while true {
            stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(buffer.count)
            let status = inflate(&stream, Z_NO_FLUSH)
            let count = buffer.count - Int(stream.avail_out)
            if count > 0 {
                produced += count
                // A bomb stops here: never more than the directory promised.
                guard produced <= entry.uncompressedSize else { throw .corrupt("\(entry.path) inflates to more than the directory says") }
                let piece = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<count])
                checksum = crc32(checksum, piece.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(count))
                try consume(piece)
            }
            if status == Z_STREAM_END { return (produced, checksum) }
            guard status == Z_OK, count > 0 || stream.avail_in > 0 else {
                throw .corrupt("\(entry.path) is corrupt (its deflate data is damaged or cut short)")
            }
        }
    }
}

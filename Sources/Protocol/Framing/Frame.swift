import NIOCore

/// Builds frames: the 4-byte big-endian length, then the payload.
public enum Frame {
    /// The length prefix: 4 bytes, big-endian.
    public static let headerLength = 4

    /// The frame for `payload`: its length, then its bytes.
    public static func encode(_ payload: some Collection<UInt8>, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: headerLength + payload.count)
        buffer.writeInteger(UInt32(payload.count))
        buffer.writeBytes(payload)
        return buffer
    }

    /// The payload length of a frame built here (what follows the prefix).
    static func payloadLength(of frame: ByteBuffer) -> Int { frame.readableBytes - headerLength }
}

import NIOCore

/// Writes JSON by hand for the few messages on every invocation's path.
///
/// Foundation's JSONEncoder costs several microseconds a message (boxing every value into an
/// intermediate tree); an invoke crosses four messages at the gateway and two at the worker.
/// A type on that path adopts `RPCJSONWritable`, and the connection writes its envelope with
/// this writer instead. Output is plain JSON that any decoder reads back the same.
///
/// The writer fills a `ByteBuffer` that starts with room for the frame's length prefix, so a
/// message goes to the socket as written: no byte array, `Data` or second buffer in between
/// (three allocations and two copies a message before).
public struct JSONWriter {
    private var buffer: ByteBuffer
    /// One bit per open object, innermost lowest: whether its next value needs a comma first.
    private var commas: UInt64 = 0
    private var depth = 0

    public init(capacity: Int = 256, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        buffer = allocator.buffer(capacity: capacity + Frame.headerLength)
        buffer.writeInteger(UInt32(0))
    }

    /// The JSON written so far.
    public var bytes: ByteBufferView { buffer.readableBytesView.dropFirst(Frame.headerLength) }

    /// The byte count of the JSON written so far.
    public var count: Int { buffer.readableBytes - Frame.headerLength }

    /// The JSON as one frame: its length, then its bytes. Sets the prefix in place (a copy of
    /// the buffer first would copy its storage too).
    public mutating func frame() -> ByteBuffer {
        buffer.setInteger(UInt32(count), at: buffer.readerIndex)
        return buffer
    }

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        buffer.writeInteger(UInt8(ascii: "{"))
        precondition(depth < UInt64.bitWidth, "JSON nested deeper than the writer tracks")
        depth += 1
        commas &= ~(1 << (depth - 1))
        body(&self)
        depth -= 1
        buffer.writeInteger(UInt8(ascii: "}"))
        markWritten()
    }

    /// Starts a member; the value written next belongs to it.
    public mutating func key(_ name: StaticString) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeInteger(UInt16(UInt8(ascii: "\"")) << 8 | UInt16(UInt8(ascii: ":")))
        if depth > 0 { commas &= ~(1 << (depth - 1)) }
    }

    public mutating func member(_ name: StaticString, _ value: String) { key(name); string(value) }
    public mutating func member(_ name: StaticString, _ value: Int) { key(name); integer(value) }
    public mutating func member(_ name: StaticString, _ value: Bool) { key(name); literal(value ? "true" : "false") }
    public mutating func member(_ name: StaticString, ifPresent value: String?) { if let value { member(name, value) } }
    public mutating func member(_ name: StaticString, ifPresent value: Int?) { if let value { member(name, value) } }

    public mutating func string(_ value: String) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { appendEscaped($0) }
        buffer.writeInteger(UInt8(ascii: "\""))
        markWritten()
    }

    /// Copies runs that need no escaping in one write each (payloads are mostly such runs).
    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in utf8.indices {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[runStart..<index])))
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            default:
                let hex: StaticString = "0123456789abcdef"
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex.utf8Start[Int(byte >> 4)])
                buffer.writeInteger(hex.utf8Start[Int(byte & 0xf)])
            }
            runStart = index + 1
        }
        buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[runStart...])))
    }

    /// Decimal digits written straight into the buffer (no String in between).
    public mutating func integer(_ value: some BinaryInteger) {
        separate()
        guard let number = Int64(exactly: value) else {
            buffer.writeString(String(value))
            markWritten()
            return
        }
        if number < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: digits[start...])))
        }
        markWritten()
    }

    public mutating func id(_ id: RPCID) {
        switch id {
        case .number(let number): integer(number)
        case .string(let text): string(text)
        case .null: literal("null")
        }
    }

    private mutating func literal(_ text: StaticString) {
        separate()
        buffer.writeStaticString(text)
        markWritten()
    }

    /// A comma before every value of an object but the first (a member's value follows its key).
    private mutating func separate() {
        guard depth > 0, commas & (1 << (depth - 1)) != 0 else { return }
        buffer.writeInteger(UInt8(ascii: ","))
        commas &= ~(1 << (depth - 1))
    }

    private mutating func markWritten() {
        if depth > 0 { commas |= 1 << (depth - 1) }
    }
}

/// A value that writes its own JSON (see `JSONWriter`); it must write what its `Encodable`
/// conformance would, member for member.
public protocol RPCJSONWritable: Encodable {
    func writeJSON(to writer: inout JSONWriter)
    /// About how many bytes `writeJSON` writes, so the buffer is allocated once.
    var jsonCapacityHint: Int { get }
}

extension RPCJSONWritable {
    public var jsonCapacityHint: Int { 192 }
}

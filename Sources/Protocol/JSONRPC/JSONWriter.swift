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

    /// Creates a `JSONWriter`.
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

    /// An object whose members `body` writes.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        container(opening: UInt8(ascii: "{"), closing: UInt8(ascii: "}"), body)
    }

    /// An array whose elements `body` writes.
    package mutating func array(_ body: (inout JSONWriter) -> Void) {
        container(opening: UInt8(ascii: "["), closing: UInt8(ascii: "]"), body)
    }

    /// An object or array: its values are separated by commas at a depth of their own.
    @inline(__always)
    private mutating func container(opening: UInt8, closing: UInt8, _ body: (inout JSONWriter) -> Void) {
        separate()
        buffer.writeInteger(opening)
        precondition(depth < UInt64.bitWidth, "JSON nested deeper than the writer tracks")
        depth += 1
        commas &= ~(1 << (depth - 1))
        body(&self)
        depth -= 1
        buffer.writeInteger(closing)
        markWritten()
    }

    /// Starts a member whose name is known only at run time (escaped as any string); the value
    /// written next belongs to it.
    package mutating func key(_ name: String) {
        string(name)
        buffer.writeInteger(UInt8(ascii: ":"))
        commas &= ~(1 << (depth - 1))
    }

    /// Starts a member; the value written next belongs to it.
    public mutating func key(_ name: StaticString) {
        let comma = takeComma()
        // `withUTF8Buffer` serves every StaticString (`utf8Start` traps on one made from a scalar).
        name.withUTF8Buffer { appendQuoted($0, comma: comma, colon: true) }
        // `takeComma` left the bit clear: the member's value follows without a comma.
    }

    /// A string member.
    public mutating func member(_ name: StaticString, _ value: String) {
        key(name)
        string(value)
    }
    /// A number member.
    public mutating func member(_ name: StaticString, _ value: Int) {
        key(name)
        integer(value)
    }
    /// A boolean member.
    public mutating func member(_ name: StaticString, _ value: Bool) {
        key(name)
        literal(value ? "true" : "false")
    }
    /// A string member, left out when nil.
    public mutating func member(_ name: StaticString, ifPresent value: String?) { if let value { member(name, value) } }
    /// A number member, left out when nil.
    public mutating func member(_ name: StaticString, ifPresent value: Int?) { if let value { member(name, value) } }
    /// A Boolean member, left out when nil.
    public mutating func member(_ name: StaticString, ifPresent value: Bool?) { if let value { member(name, value) } }

    /// A JSON string, escaped.
    public mutating func string(_ value: String) {
        let comma = takeComma()
        var value = value
        value.withUTF8 { utf8 in
            // The usual text needs no escape: comma, quotes and bytes in one reservation.
            if !utf8.contains(where: Self.needsEscape) {
                appendQuoted(utf8, comma: comma, colon: false)
                return
            }
            if comma { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeInteger(UInt8(ascii: "\""))
            appendEscaped(utf8)
            buffer.writeInteger(UInt8(ascii: "\""))
        }
        markWritten()
    }

    /// A quote, a backslash or a control character: what JSON strings must escape.
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Copies runs that need no escaping in one write each (payloads are mostly such runs).
    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in utf8.indices {
            let byte = utf8[index]
            guard Self.needsEscape(byte) else { continue }
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
        guard let number = Int64(exactly: value) else {
            separate()
            buffer.writeString(String(value))
            markWritten()
            return
        }
        let comma = takeComma()
        // Comma, sign and at most 19 digits, in one reservation.
        append(maximum: 21) { out in
            var at = comma ? out.put(UInt8(ascii: ","), at: 0) : 0
            if number < 0 { at = out.put(UInt8(ascii: "-"), at: at) }
            var magnitude = number.magnitude
            var digits = 0
            repeat {
                out[at + digits] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                digits += 1
            } while magnitude > 0
            // Written least significant first; put them in reading order.
            var low = at
            var high = at + digits - 1
            while low < high {
                out.swapAt(low, high)
                low += 1
                high -= 1
            }
            return at + digits
        }
        markWritten()
    }

    /// A request id: a string or a number.
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
        if takeComma() { buffer.writeInteger(UInt8(ascii: ",")) }
    }

    /// Whether the next value needs a comma before it; the caller writes it.
    private mutating func takeComma() -> Bool {
        guard depth > 0, commas & (1 << (depth - 1)) != 0 else { return false }
        commas &= ~(1 << (depth - 1))
        return true
    }

    /// `utf8`, which needs no escape, in quotes, after a comma if `comma` and before a colon
    /// if `colon` (a key), in one reservation.
    private mutating func appendQuoted(_ utf8: UnsafeBufferPointer<UInt8>, comma: Bool, colon: Bool) {
        append(maximum: utf8.count + 4) { out in
            var at = comma ? out.put(UInt8(ascii: ","), at: 0) : 0
            at = out.put(UInt8(ascii: "\""), at: at)
            at = out.put(UnsafeRawBufferPointer(utf8), at: at)
            at = out.put(UInt8(ascii: "\""), at: at)
            return colon ? out.put(UInt8(ascii: ":"), at: at) : at
        }
    }

    /// Writes at most `maximum` bytes through one reservation of the buffer (a `ByteBuffer`
    /// write checks uniqueness, capacity and exclusive access each time: most of what small
    /// writes cost); `fill` returns how many it wrote.
    private mutating func append(maximum: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maximum, fill)
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
    /// Room for the members.
    public var jsonCapacityHint: Int { 192 }
}

extension UnsafeMutableRawBufferPointer {
    /// Stores `byte` at `offset`; returns the offset after it.
    fileprivate func put(_ byte: UInt8, at offset: Int) -> Int {
        self[offset] = byte
        return offset + 1
    }

    /// Copies `bytes` to `offset`; returns the offset after them.
    fileprivate func put(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return offset }
        (baseAddress! + offset).copyMemory(from: source, byteCount: bytes.count)
        return offset + bytes.count
    }
}

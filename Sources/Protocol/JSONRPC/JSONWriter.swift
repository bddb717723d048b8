/// Writes JSON by hand for the few messages on every invocation's path.
///
/// Foundation's JSONEncoder costs several microseconds a message (boxing every value into an
/// intermediate tree); an invoke crosses four messages at the gateway and two at the worker.
/// A type on that path adopts `RPCJSONWritable`, and the connection writes its envelope with
/// this writer instead. Output is plain JSON that any decoder reads back the same.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = []

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
        markWritten()
    }

    /// Starts a member; the value written next belongs to it.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        if !needsComma.isEmpty { needsComma[needsComma.count - 1] = false }
    }

    public mutating func member(_ name: StaticString, _ value: String) { key(name); string(value) }
    public mutating func member(_ name: StaticString, _ value: Int) { key(name); integer(value) }
    public mutating func member(_ name: StaticString, _ value: Bool) { key(name); literal(value ? "true" : "false") }
    public mutating func member(_ name: StaticString, ifPresent value: String?) { if let value { member(name, value) } }
    public mutating func member(_ name: StaticString, ifPresent value: Int?) { if let value { member(name, value) } }

    public mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { appendEscaped($0) }
        bytes.append(UInt8(ascii: "\""))
        markWritten()
    }

    /// Copies runs that need no escaping in one append each (payloads are mostly such runs).
    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in utf8.indices {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            default:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xf)]])
            }
            runStart = index + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
    }

    public mutating func integer(_ value: some BinaryInteger) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
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
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        markWritten()
    }

    /// A comma before every value of an object but the first (a member's value follows its key).
    private mutating func separate() {
        guard let last = needsComma.last, last else { return }
        bytes.append(UInt8(ascii: ","))
        needsComma[needsComma.count - 1] = false
    }

    private mutating func markWritten() {
        if !needsComma.isEmpty { needsComma[needsComma.count - 1] = true }
    }
}

/// A value that writes its own JSON (see `JSONWriter`); it must write what its `Encodable`
/// conformance would, member for member.
public protocol RPCJSONWritable: Encodable {
    func writeJSON(to writer: inout JSONWriter)
}

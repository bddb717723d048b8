import NIOCore

// A fast path for the inbound messages every invocation carries.
//
// Foundation's JSONDecoder costs the gateway about a quarter of its CPU per invocation. Most
// messages on the invoke path are flat: an envelope whose `params` or `result` is an object
// of strings, integers and booleans. This scanner reads exactly that shape and builds the
// method's Swift value directly (types adopt `RPCJSONReadable`). Anything else, and anything
// it is unsure of (escapes, fractions, nesting, duplicate keys, envelope members JSON-RPC does
// not name, errors, batches), returns nil and goes the general way, which is also where every
// error answer comes from: the fast path never decides that a message is wrong.
//
// The scan records where each key and value lies in the frame and makes no `String`: keys
// are compared as bytes, and only the values a type reads become strings. At one caller each
// message is handled with cold caches, where every runtime call and allocation shows: the
// scanner before, which made a string of every key and value, took 3.2 µs for the worker's
// invoke request there, this one 1.3 to 1.9 (timed in place; docs/performance-log.md).

extension ByteBuffer {
    /// The text of a string value found by the scan (offsets from the reader index).
    fileprivate func text(start: Int, count: Int) -> String {
        withUnsafeReadableBytes { bytes in
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<start + count]), as: UTF8.self)
        }
    }
}

/// One member of a flat object: where its key lies in the frame and what its value is.
struct FlatMember: Sendable {
    enum Value: Sendable, Equatable {
        /// A string without escapes: its bytes, quotes excluded.
        case string(start: Int, count: Int)
        case integer(Int64)
        case bool(Bool)
        case null
        /// The envelope's one object member (params or result).
        case object
    }

    var keyStart: Int
    var keyCount: Int
    var value: Value
}

/// The members of one flat JSON object, in document order, over the frame they were read
/// from. An invoke message's objects have a handful of members, for which comparing keys in
/// turn is cheaper than hashing them into a dictionary.
struct FlatMembers: Sendable {
    /// The frame's readable bytes; member offsets count from its reader index.
    let source: ByteBuffer
    private(set) var members: [FlatMember] = []

    init(source: ByteBuffer, capacity: Int = 0) {
        self.source = source
        members.reserveCapacity(capacity)
    }

    /// The value of the member named `key`, if there is one.
    func value(_ key: StaticString) -> FlatMember.Value? {
        key.withUTF8Buffer { key in
            source.withUnsafeReadableBytes { bytes in
                Self.find(UnsafeRawBufferPointer(key), in: members, bytes: bytes)
            }
        }
    }

    /// Adds a member found while scanning `bytes` (this buffer's readable bytes); false when
    /// its key is there already (a duplicate goes the general way).
    mutating func insert(_ member: FlatMember, bytes: UnsafeRawBufferPointer) -> Bool {
        let key = UnsafeRawBufferPointer(rebasing: bytes[member.keyStart..<member.keyStart + member.keyCount])
        guard Self.find(key, in: members, bytes: bytes) == nil else { return false }
        members.append(member)
        return true
    }

    private static func find(_ key: UnsafeRawBufferPointer, in members: [FlatMember], bytes: UnsafeRawBufferPointer) -> FlatMember.Value? {
        for member in members where member.keyCount == key.count {
            if UnsafeRawBufferPointer(rebasing: bytes[member.keyStart..<member.keyStart + member.keyCount]).elementsEqual(key) {
                return member.value
            }
        }
        return nil
    }
}

/// The members of one flat JSON object.
public struct JSONFields: Sendable {
    var members: FlatMembers

    /// Each accessor answers nil for a member of another type (the caller falls back to the
    /// general decoder), `.some(nil)` for a missing or null member, else the value.
    public func string(_ key: StaticString) -> String?? {
        switch members.value(key) {
        case .string(let start, let count)?: .some(members.source.text(start: start, count: count))
        case .null?, nil: .some(nil)
        default: nil
        }
    }

    /// The member as an integer: nil when absent, .some(nil) when of another type.
    public func integer(_ key: StaticString) -> Int?? {
        switch members.value(key) {
        case .integer(let value)?: Int(exactly: value).map { .some($0) }
        case .null?, nil: .some(nil)
        default: nil
        }
    }

    /// The member as a boolean: nil when absent, .some(nil) when of another type.
    public func bool(_ key: StaticString) -> Bool?? {
        switch members.value(key) {
        case .bool(let value)?: .some(value)
        case .null?, nil: .some(nil)
        default: nil
        }
    }

    /// The member as a request id: nil when absent, .some(nil) when of another type.
    public func id(_ key: StaticString) -> RPCID?? {
        switch members.value(key) {
        case .integer(let value)?: .some(.number(value))
        case .string(let start, let count)?: .some(.string(members.source.text(start: start, count: count)))
        case .null?: .some(.null)
        case nil: .some(nil)
        default: nil
        }
    }
}

/// A type the fast path can build from a flat object: nil when a member is missing or of
/// another type than its `Decodable` conformance expects (the general decoder then runs and
/// produces the error).
public protocol RPCJSONReadable: Sendable {
    init?(jsonFields: JSONFields)
}

/// A scanned envelope: the members a request or a successful response has, picked out as the
/// scan meets them, and its one flat object member (params or result). Any other member (an
/// error among them), one of these twice, or a version other than "2.0" sends the frame the
/// general way, which answers what needs an answer.
struct FastEnvelope {
    /// The frame; string values' offsets count from its reader index.
    let source: ByteBuffer
    /// Whether `"jsonrpc":"2.0"` was there (checked as the scan met it).
    var versioned = false
    var id: FlatMember.Value?
    var method: FlatMember.Value?
    /// `.object` when the member is an object (whose members are `object`'s), else its scalar.
    var params: FlatMember.Value?
    var result: FlatMember.Value?
    var object: JSONFields

    /// Scans `frame` (already known to be valid UTF-8); nil for anything but the flat shape.
    static func scan(_ frame: ByteBuffer) -> FastEnvelope? {
        frame.withUnsafeReadableBytes { bytes in
            var scanner = Scanner(bytes: bytes)
            var envelope = FastEnvelope(source: frame, object: JSONFields(members: FlatMembers(source: frame)))
            guard scanner.consume(UInt8(ascii: "{")) else { return nil }
            if scanner.consume(UInt8(ascii: "}")) { return nil }
            repeat {
                guard let key = scanner.string(), scanner.consume(UInt8(ascii: ":")),
                    let slot = Slot(UnsafeRawBufferPointer(rebasing: bytes[key.start..<key.start + key.count]))
                else { return nil }
                let value: FlatMember.Value
                if scanner.peek() == UInt8(ascii: "{") {
                    // Only params or a result may be an object, and only one of them is.
                    guard slot == .params || slot == .result, envelope.params != .object, envelope.result != .object,
                        let members = scanner.flatObject(source: frame)
                    else { return nil }
                    envelope.object = JSONFields(members: members)
                    value = .object
                } else {
                    guard let scalar = scanner.scalar() else { return nil }
                    value = scalar
                }
                guard envelope.fill(slot, with: value, bytes: bytes) else { return nil }
            } while scanner.consume(UInt8(ascii: ","))
            guard scanner.consume(UInt8(ascii: "}")), scanner.atEnd else { return nil }
            return envelope
        }
    }

    /// The envelope members the fast path knows.
    private enum Slot {
        case jsonrpc, id, method, params, result

        init?(_ key: UnsafeRawBufferPointer) {
            func named(_ name: StaticString) -> Bool {
                name.withUTF8Buffer { key.elementsEqual(UnsafeRawBufferPointer($0)) }
            }
            switch key.count {
            case 2 where named("id"): self = .id
            case 6 where named("method"): self = .method
            case 6 where named("params"): self = .params
            case 6 where named("result"): self = .result
            case 7 where named("jsonrpc"): self = .jsonrpc
            default: return nil
            }
        }
    }

    /// Sets a member found in `bytes` (the frame's readable bytes); false when it was there
    /// already or is a version other than "2.0" (both go the general way).
    private mutating func fill(_ slot: Slot, with value: FlatMember.Value, bytes: UnsafeRawBufferPointer) -> Bool {
        func set(_ member: inout FlatMember.Value?) -> Bool {
            guard member == nil else { return false }
            member = value
            return true
        }
        switch slot {
        case .jsonrpc:
            guard !versioned, case .string(let start, let count) = value,
                UnsafeRawBufferPointer(rebasing: bytes[start..<start + count]).elementsEqual("2.0".utf8)
            else { return false }
            versioned = true
            return true
        case .id: return set(&id)
        case .method: return set(&method)
        case .params: return set(&params)
        case .result: return set(&result)
        }
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }

        mutating func peek() -> UInt8? {
            skipSpace()
            return index < bytes.count ? bytes[index] : nil
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard peek() == byte else { return false }
            index += 1
            return true
        }

        var atEnd: Bool {
            mutating get { peek() == nil }
        }

        /// A string without escapes or control characters, as its byte range.
        mutating func string() -> (start: Int, count: Int)? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return (start, index - 1 - start)
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                index += 1
            }
            return nil
        }

        mutating func scalar() -> FlatMember.Value? {
            switch peek() {
            case UInt8(ascii: "\""): return string().map { .string(start: $0.start, count: $0.count) }
            case UInt8(ascii: "t"): return word("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return word("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return word("null") ? .null : nil
            default: return integer()
            }
        }

        mutating func word(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
            index += count
            return true
        }

        /// An integer with no fraction or exponent, in Int64's range.
        mutating func integer() -> FlatMember.Value? {
            var negative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            let start = index
            var value: Int64 = 0
            while index < bytes.count, (48...57).contains(bytes[index]) {
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(Int64(bytes[index] - 48))
                guard !overflow1, !overflow2 else { return nil }
                value = sum
                index += 1
            }
            let digits = index - start
            guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] | 0x20 == UInt8(ascii: "e") { return nil }
            return .integer(negative ? -value : value)
        }

        mutating func flatObject(source: ByteBuffer) -> FlatMembers? {
            guard consume(UInt8(ascii: "{")) else { return nil }
            var members = FlatMembers(source: source, capacity: 8)
            if consume(UInt8(ascii: "}")) { return members }
            repeat {
                guard let key = string(), consume(UInt8(ascii: ":")), peek() != UInt8(ascii: "{"), peek() != UInt8(ascii: "["),
                    let value = scalar(),
                    members.insert(FlatMember(keyStart: key.start, keyCount: key.count, value: value), bytes: bytes)
                else { return nil }
            } while consume(UInt8(ascii: ","))
            return consume(UInt8(ascii: "}")) ? members : nil
        }
    }
}

extension InboundMessage {
    /// The message a flat envelope holds, if the fast path can build all of it; nil sends
    /// the frame the general way.
    static func fast(_ envelope: FastEnvelope, methods: RPCMethodTable, pendingResult: (RPCID) -> (any RPCJSONReadable.Type)?) -> InboundMessage? {
        guard envelope.versioned else { return nil }
        var id: RPCID?
        switch envelope.id {
        case .integer(let number)?: id = .number(number)
        case .string(let start, let count)?: id = .string(envelope.source.text(start: start, count: count))
        case nil: id = nil
        default: return nil
        }
        if case .string(let start, let count)? = envelope.method {
            guard envelope.params == nil || envelope.params == .object, envelope.result == nil else { return nil }
            let method = envelope.source.text(start: start, count: count)
            if let id {
                guard let entry = methods.requests[method], let params = entry.fastParams?(envelope.object) else { return nil }
                return .request(id: id, method: method, params: params, entry: entry)
            }
            guard method != CancelRequest.name, let entry = methods.notifications[method],
                let params = entry.fastParams?(envelope.object)
            else { return nil }
            return .notification(method: method, params: params, entry: entry)
        }
        guard envelope.method == nil, envelope.result == .object, let id,
            let value = pendingResult(id)?.init(jsonFields: envelope.object)
        else { return nil }
        return .response(id: id, .success(value))
    }
}

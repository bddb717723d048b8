/// A fast path for the inbound messages every invocation carries.
///
/// Foundation's JSONDecoder costs the gateway about a quarter of its CPU per invocation. Most
/// messages on the invoke path are flat: an envelope whose `params` or `result` is an object
/// of strings, integers and booleans. This scanner reads exactly that shape and builds the
/// method's Swift value directly (types adopt `RPCJSONReadable`). Anything else, and anything
/// it is unsure of (escapes, fractions, nesting, duplicate keys, errors, batches), returns
/// nil and goes the general way, which is also where every error answer comes from: the fast
/// path never decides that a message is wrong.
public enum JSONScalar: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case null
}

/// The members of one flat JSON object, in document order. An invoke message's objects have
/// a handful of members, for which comparing keys in turn is cheaper than hashing them into a
/// dictionary (that was 3% of the gateway's CPU).
struct FlatMembers: Sendable {
    private struct Member: Sendable {
        var key: String
        var value: JSONScalar
    }

    private var members: [Member] = []

    init(capacity: Int = 0) {
        members.reserveCapacity(capacity)
    }

    subscript(key: String) -> JSONScalar? {
        for member in members where member.key == key { return member.value }
        return nil
    }

    /// Adds a member; false when the key is there already (a duplicate goes the general way).
    mutating func insert(_ key: String, _ value: JSONScalar) -> Bool {
        guard self[key] == nil else { return false }
        members.append(Member(key: key, value: value))
        return true
    }
}

/// The members of one flat JSON object.
public struct JSONFields: Sendable {
    var members: FlatMembers

    /// Each accessor answers nil for a member of another type (the caller falls back to the
    /// general decoder), `.some(nil)` for a missing or null member, else the value.
    public func string(_ key: String) -> String?? {
        member(key) { if case .string(let value) = $0 { value } else { nil } }
    }

    public func integer(_ key: String) -> Int?? {
        member(key) { if case .integer(let value) = $0 { Int(exactly: value) } else { nil } }
    }

    public func bool(_ key: String) -> Bool?? {
        member(key) { if case .bool(let value) = $0 { value } else { nil } }
    }

    private func member<T>(_ key: String, _ extract: (JSONScalar) -> T?) -> T?? {
        guard let scalar = members[key], scalar != .null else { return .some(nil) }
        return extract(scalar).map { .some($0) }
    }

    public func id(_ key: String) -> RPCID?? {
        switch members[key] {
        case .integer(let value): .some(.number(value))
        case .string(let value): .some(.string(value))
        case .null: .some(.null)
        case .none: .some(nil)
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

/// A scanned envelope: its scalar members and its one flat object member (params or result).
struct FastEnvelope {
    var scalars = FlatMembers(capacity: 4)
    var objectKey: String?
    var object = JSONFields(members: FlatMembers())

    /// Scans `bytes` (already known to be valid UTF-8); nil for anything but the flat shape.
    static func scan(_ bytes: UnsafeRawBufferPointer) -> FastEnvelope? {
        var scanner = Scanner(bytes: bytes)
        var envelope = FastEnvelope()
        guard scanner.consume(UInt8(ascii: "{")) else { return nil }
        if scanner.consume(UInt8(ascii: "}")) { return nil }
        repeat {
            guard let key = scanner.string(), scanner.consume(UInt8(ascii: ":")) else { return nil }
            if scanner.peek() == UInt8(ascii: "{") {
                guard envelope.objectKey == nil, let members = scanner.flatObject() else { return nil }
                envelope.objectKey = key
                envelope.object = JSONFields(members: members)
            } else {
                guard let value = scanner.scalar(), envelope.scalars.insert(key, value) else { return nil }
            }
        } while scanner.consume(UInt8(ascii: ","))
        guard scanner.consume(UInt8(ascii: "}")), scanner.atEnd else { return nil }
        guard envelope.objectKey.map({ envelope.scalars[$0] == nil }) ?? true else { return nil }
        return envelope
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

        /// A string without escapes or control characters.
        mutating func string() -> String? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                index += 1
            }
            return nil
        }

        mutating func scalar() -> JSONScalar? {
            switch peek() {
            case UInt8(ascii: "\""): return string().map(JSONScalar.string)
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
        mutating func integer() -> JSONScalar? {
            var negative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
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

        mutating func flatObject() -> FlatMembers? {
            guard consume(UInt8(ascii: "{")) else { return nil }
            var members = FlatMembers(capacity: 8)
            if consume(UInt8(ascii: "}")) { return members }
            repeat {
                guard let key = string(), consume(UInt8(ascii: ":")), peek() != UInt8(ascii: "{"), peek() != UInt8(ascii: "["),
                      let value = scalar(), members.insert(key, value) else { return nil }
            } while consume(UInt8(ascii: ","))
            return consume(UInt8(ascii: "}")) ? members : nil
        }
    }
}

extension InboundMessage {
    /// The message a flat envelope holds, if the fast path can build all of it; nil sends
    /// the frame the general way.
    static func fast(_ envelope: FastEnvelope, methods: RPCMethodTable, pendingResult: (RPCID) -> (any RPCJSONReadable.Type)?) -> InboundMessage? {
        let scalars = envelope.scalars
        guard scalars["jsonrpc"] == .string("2.0"), scalars["error"] == nil else { return nil }
        var id: RPCID?
        switch scalars["id"] {
        case .integer(let number): id = .number(number)
        case .string(let text): id = .string(text)
        case .none: id = nil
        default: return nil
        }
        if case .string(let method)? = scalars["method"] {
            guard envelope.objectKey == "params" || envelope.objectKey == nil, scalars["params"] == nil, scalars["result"] == nil else { return nil }
            if let id {
                guard let entry = methods.requests[method], let params = entry.fastParams?(envelope.object) else { return nil }
                return .request(id: id, method: method, params: params, entry: entry)
            }
            guard method != CancelRequest.name, let entry = methods.notifications[method],
                  let params = entry.fastParams?(envelope.object) else { return nil }
            return .notification(method: method, params: params, entry: entry)
        }
        guard scalars["method"] == nil, envelope.objectKey == "result", let id,
              let value = pendingResult(id)?.init(jsonFields: envelope.object) else { return nil }
        return .response(id: id, .success(value))
    }
}

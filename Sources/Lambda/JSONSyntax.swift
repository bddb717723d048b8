import ShoalProtocol

/// A strict check that bytes are one JSON text (RFC 8259), without building any value.
///
/// AWS Lambda refuses an invoke whose payload is not JSON (InvalidRequestContentException,
/// "Could not parse request body into json") before any function runs, and a client context
/// that is not a JSON object. The gateway makes the same checks, so a test suite that sends a
/// malformed event fails here as it would on AWS instead of reaching the handler. Building
/// values (Foundation's JSONSerialization) would cost the gateway an allocation per member on
/// every invoke; this reads each byte once (a string's plain bytes eight at a time) and
/// allocates one small stack of open containers.
///
/// Strict as AWS's parser is by default: no NaN or Infinity, no leading zeros, no trailing
/// commas, no comments, no control characters in strings, valid UTF-8 throughout. Duplicate
/// keys are allowed, as they are there. Nesting is limited to `maximumDepth` levels.
package enum JSONSyntax {
    /// Arrays and objects may nest this deep (the default of AWS's parser, Jackson).
    package static let maximumDepth = 1000

    /// Where and why bytes are not JSON.
    package struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Offset of the first byte that cannot belong to a JSON text (the count at the end).
        package var offset: Int
        /// 1-based line and column (in bytes) of that offset, for people.
        package var line: Int
        package var column: Int
        package var reason: String

        package var description: String { "\(reason) at line \(line), column \(column)" }
    }

    /// What the top-level value is.
    package enum Kind: Sendable, Equatable {
        case object, array, string, number, literal
    }

    /// The kind of the one value `bytes` hold, or where they stop being JSON.
    package static func check(_ bytes: [UInt8]) -> Result<Kind, Failure> {
        bytes.withUnsafeBytes { check($0) }
    }

    package static func check(_ bytes: UnsafeRawBufferPointer) -> Result<Kind, Failure> {
        guard UTF8Validation.isValid(bytes) else {
            return .failure(failure(at: firstInvalidUTF8(bytes), in: bytes, "invalid UTF-8"))
        }
        var reader = Reader(bytes: bytes)
        do {
            return .success(try reader.document())
        } catch {
            return .failure(failure(at: error.offset, in: bytes, error.reason))
        }
    }

    private static func failure(at offset: Int, in bytes: UnsafeRawBufferPointer, _ reason: String) -> Failure {
        var line = 1
        var lineStart = 0
        for index in 0..<min(offset, bytes.count) where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        return Failure(offset: offset, line: line, column: offset - lineStart + 1, reason: reason)
    }

    /// Offset of the first byte of the first invalid UTF-8 sequence (bytes known invalid).
    private static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput, .error: return offset
            }
        }
    }

    private struct SyntaxError: Error {
        var offset: Int
        var reason: String
    }

    /// One pass over the bytes. Containers are tracked on an explicit stack, so depth costs
    /// memory, not the thread's stack.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0
        /// Open containers, innermost last: true for an object.
        var open: [Bool] = []

        init(bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        mutating func document() throws(SyntaxError) -> Kind {
            skipSpace()
            let kind = kindAhead()
            while true {
                // A value is expected here.
                if try !value() { continue }
                // A value ended: close what it ends, until a comma asks for the next one.
                while true {
                    skipSpace()
                    guard let innermost = open.last else {
                        guard index == bytes.count else { throw unexpected("after the JSON value") }
                        return kind
                    }
                    guard index < bytes.count else { throw SyntaxError(offset: index, reason: "unexpected end of input") }
                    let byte = bytes[index]
                    if byte == UInt8(ascii: ",") {
                        index += 1
                        if innermost { try key() }
                        break
                    }
                    guard byte == (innermost ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                        throw unexpected(innermost ? "in an object, where ',' or '}' belongs" : "in an array, where ',' or ']' belongs")
                    }
                    index += 1
                    open.removeLast()
                }
            }
        }

        private func kindAhead() -> Kind {
            guard index < bytes.count else { return .literal }
            switch bytes[index] {
            case UInt8(ascii: "{"): return .object
            case UInt8(ascii: "["): return .array
            case UInt8(ascii: "\""): return .string
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
            default: return .literal
            }
        }

        /// Reads a scalar, an empty container, or the start of a container; true when a whole
        /// value was read, false when a container was opened and its first value comes next.
        private mutating func value() throws(SyntaxError) -> Bool {
            skipSpace()
            guard index < bytes.count else { throw SyntaxError(offset: index, reason: "unexpected end of input, where a value belongs") }
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard open.count < JSONSyntax.maximumDepth else {
                    throw SyntaxError(offset: index, reason: "arrays and objects nested deeper than \(JSONSyntax.maximumDepth) levels")
                }
                let object = bytes[index] == UInt8(ascii: "{")
                index += 1
                skipSpace()
                if index < bytes.count, bytes[index] == (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    return true
                }
                open.append(object)
                if object { try key() }
                return false
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: throw unexpected("where a value belongs")
            }
            return true
        }

        /// A member's name and its colon.
        private mutating func key() throws(SyntaxError) {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw unexpected("where a member's name belongs") }
            try string()
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw unexpected("where ':' belongs") }
            index += 1
        }

        private mutating func string() throws(SyntaxError) {
            index += 1
            while index < bytes.count {
                // Most of a payload is plain string bytes: pass them eight at a time while
                // none is a quote, a backslash or a control character, then one by one (a
                // 6 MiB string: 2.4 ns a byte one by one through `switch`).
                var plain = index
                let end = bytes.count
                while plain + 8 <= end, !Self.hasSpecialByte(bytes.loadUnaligned(fromByteOffset: plain, as: UInt64.self)) {
                    plain += 8
                }
                while plain < end {
                    let byte = bytes[plain]
                    guard byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else { break }
                    plain += 1
                }
                index = plain
                guard index < end else { break }
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { break }
                    switch bytes[index] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                        UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 1
                    case UInt8(ascii: "u"):
                        for offset in 1...4 {
                            guard index + offset < bytes.count, Self.isHexDigit(bytes[index + offset]) else {
                                throw SyntaxError(offset: index + offset, reason: "a \\u escape needs four hexadecimal digits")
                            }
                        }
                        index += 5
                    default:
                        throw SyntaxError(offset: index, reason: "invalid escape: \(Self.shown(bytes[index])) after a backslash in a string")
                    }
                default:  // below 0x20: the loops above stop at nothing else
                    throw SyntaxError(offset: index, reason: "control character (code \(byte)) in a string: it must be escaped")
                }
            }
            throw SyntaxError(offset: bytes.count, reason: "unexpected end of input in a string")
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        private mutating func number() throws(SyntaxError) {
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw digitExpected("after '-'") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.count, Self.isDigit(bytes[index]) { throw SyntaxError(offset: index, reason: "a number with a leading zero") }
            } else {
                digits()
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, Self.isDigit(bytes[index]) else { throw digitExpected("after a decimal point") }
                digits()
            }
            if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, Self.isDigit(bytes[index]) else { throw digitExpected("in an exponent") }
                digits()
            }
        }

        private mutating func digits() {
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        }

        private mutating func literal(_ word: StaticString) throws(SyntaxError) {
            for offset in 0..<word.utf8CodeUnitCount {
                guard index + offset < bytes.count, bytes[index + offset] == word.utf8Start[offset] else {
                    throw SyntaxError(
                        offset: index, reason: "unrecognized token, where true, false, null, a number, a string, an array or an object belongs")
                }
            }
            index += word.utf8CodeUnitCount
        }

        private mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        private func unexpected(_ place: String) -> SyntaxError {
            guard index < bytes.count else { return SyntaxError(offset: index, reason: "unexpected end of input") }
            return SyntaxError(offset: index, reason: "unexpected \(Self.shown(bytes[index])) \(place)")
        }

        private func digitExpected(_ place: String) -> SyntaxError {
            SyntaxError(offset: index, reason: "a digit expected \(place)")
        }

        /// Whether any byte of `word` may be a quote, a backslash or below 0x20 (the classic
        /// "has a zero byte" and "has a byte less than n" bit tricks; they never miss one, and
        /// a rare false alarm only sends those eight bytes the slow way).
        private static func hasSpecialByte(_ word: UInt64) -> Bool {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            func hasZero(_ value: UInt64) -> Bool { (value &- ones) & ~value & highs != 0 }
            return (word &- ones &* 0x20) & ~word & highs != 0
                || hasZero(word ^ (ones &* UInt64(UInt8(ascii: "\"")))) || hasZero(word ^ (ones &* UInt64(UInt8(ascii: "\\"))))
        }

        private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

        private static func isHexDigit(_ byte: UInt8) -> Bool {
            isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
        }

        /// A byte as a person reads it in a message: printable ASCII quoted, else its code.
        private static func shown(_ byte: UInt8) -> String {
            (0x21..<0x7F).contains(byte) ? "character '\(UnicodeScalar(byte))'" : "character (code \(byte))"
        }
    }
}

import ShoalProtocol

/// The `Lambda-Runtime-Client-Context` header a runtime gets: the JSON object a client sent
/// as base64 (`ClientContext` of AWS's Invoke), which runtimes parse (awslambdaric with
/// `json.loads`, Node's with `JSON.parse`), as on Lambda. The worker makes it from an invoke's
/// `clientContext`, the runtime interface emulator from an `X-Amz-Client-Context` header.
///
/// An HTTP header value holds one line of printable ASCII; JSON allows line breaks between
/// tokens and any Unicode inside strings. So line breaks become spaces (outside strings they
/// are only spacing; inside they are always escaped already) and every non-ASCII character
/// becomes a `\uXXXX` escape (it can only stand inside a string), which leaves the value the
/// runtime parses unchanged.
package enum ClientContextHeader {
    package static let name = "Lambda-Runtime-Client-Context"

    /// The JSON object `base64` encodes, or nil when it is not base64 of a JSON object.
    package static func object(base64: String) -> [UInt8]? {
        guard let bytes = Base64.decode(base64), JSONSyntax.check(bytes) == .success(.object) else { return nil }
        return bytes
    }

    /// The header's value, or nil when `base64` is not base64 of a JSON object.
    package static func value(base64: String) -> String? {
        guard let bytes = object(base64: base64) else { return nil }
        var line = ""
        line.reserveCapacity(bytes.count)
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x0D:
                line.append(" ")
            case 0..<0x80:
                line.unicodeScalars.append(scalar)
            default:
                for unit in String(scalar).utf16 { line += "\\u" + hex(unit) }
            }
        }
        return line
    }

    private static func hex(_ unit: UInt16) -> String {
        let digits = String(unit, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}

import ExtrasBase64

/// Standard base64 (RFC 4648 §4, padded), the encoding of every payload in the JSON-RPC
/// messages, straight between a `String` and bytes.
///
/// Encoding and decoding are swift-extras-base64's: measured against the hand-written codec
/// Shoal had (`bash Benchmarks/base64-library.sh`), it encodes as fast or faster at every
/// payload size and decodes a 6 MiB payload in about 55% of the time (docs/performance-log.md,
/// sixteenth round). Decoding is strict where Foundation is lenient: whole groups of four from
/// the standard alphabet, `=` only at the end, as the gateway and the worker both judge it.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The 6-bit value of each byte, or `invalid`.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()

    private static let invalid: UInt8 = 0xFF

    /// Standard padded base64 of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        ExtrasBase64.Base64.encodeToString(bytes: bytes)
    }

    /// How many bytes `text` encodes, if it is valid (as `decode` judges it), without
    /// decoding: the gateway sizes and checks stream chunks this way and leaves decoding to
    /// the client.
    public static func decodedCount(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { input -> Int? in
            guard let (count, padding) = layout(input) else { return nil }
            return values.withUnsafeBufferPointer { values in
                // Every value is below 64; `invalid` has the top bits set.
                input.dropLast(padding).allSatisfy { values[Int($0)] & 0xC0 == 0 } ? count : nil
            }
        }
    }

    /// The bytes `text` encodes; nil unless it is whole groups of four from the standard
    /// alphabet, with at most two `=` and only at the end. Unused low bits of the last
    /// group are ignored, as Foundation ignores them.
    public static func decode(_ text: String) -> [UInt8]? {
        // The library takes `=` in the third place of the last group before a character
        // (`YW=j`); padding is only ever at the very end.
        let tail = text.utf8.suffix(2)
        if tail.count == 2, tail.first == UInt8(ascii: "="), tail.last != UInt8(ascii: "=") { return nil }
        return try? ExtrasBase64.Base64.decode(string: text)
    }

    /// The decoded byte count and the number of `=` at the end; nil unless whole groups of four.
    private static func layout(_ input: UnsafeBufferPointer<UInt8>) -> (count: Int, padding: Int)? {
        guard input.count % 4 == 0 else { return nil }
        guard !input.isEmpty else { return (0, 0) }
        let padding = input[input.count - 1] != UInt8(ascii: "=") ? 0 : input[input.count - 2] != UInt8(ascii: "=") ? 1 : 2
        return (input.count / 4 * 3 - padding, padding)
    }
}

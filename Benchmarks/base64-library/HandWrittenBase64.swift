/// The hand-written base64 codec Shoal had until 2026-12-06 (Sources/Protocol/Model/Base64.swift
/// at 3cf8092), kept here as the baseline of Benchmarks/base64-library.sh.
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
        let length = (bytes.count + 2) / 3 * 4
        guard length > 0 else { return "" }
        return alphabet.withUnsafeBufferPointer { alphabet in
            bytes.withUnsafeBufferPointer { input in
                String(unsafeUninitializedCapacity: length) { output in
                    var at = 0
                    var index = 0
                    while index + 3 <= input.count {
                        let group = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                        output[at] = alphabet[Int(group >> 18)]
                        output[at + 1] = alphabet[Int(group >> 12 & 0x3F)]
                        output[at + 2] = alphabet[Int(group >> 6 & 0x3F)]
                        output[at + 3] = alphabet[Int(group & 0x3F)]
                        at += 4
                        index += 3
                    }
                    let rest = input.count - index
                    if rest > 0 {
                        let group = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
                        output[at] = alphabet[Int(group >> 18)]
                        output[at + 1] = alphabet[Int(group >> 12 & 0x3F)]
                        output[at + 2] = rest == 2 ? alphabet[Int(group >> 6 & 0x3F)] : UInt8(ascii: "=")
                        output[at + 3] = UInt8(ascii: "=")
                    }
                    return length
                }
            }
        }
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
        var text = text
        return text.withUTF8 { input -> [UInt8]? in
            guard let (count, padding) = layout(input) else { return nil }
            guard count > 0 else { return [] }
            return values.withUnsafeBufferPointer { values in
                var valid = true
                let bytes = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
                    var at = 0
                    var index = 0
                    while index < input.count {
                        let last = index + 4 == input.count
                        let a = values[Int(input[index])]
                        let b = values[Int(input[index + 1])]
                        let c = last && padding == 2 ? 0 : values[Int(input[index + 2])]
                        let d = last && padding >= 1 ? 0 : values[Int(input[index + 3])]
                        // Every value is below 64; `invalid` has the top bits set.
                        guard (a | b | c | d) & 0xC0 == 0 else {
                            valid = false
                            break
                        }
                        let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                        output[at] = UInt8(truncatingIfNeeded: group >> 16)
                        if at + 1 < count { output[at + 1] = UInt8(truncatingIfNeeded: group >> 8) }
                        if at + 2 < count { output[at + 2] = UInt8(truncatingIfNeeded: group) }
                        at += 3
                        index += 4
                    }
                    initialized = valid ? count : 0
                }
                return valid ? bytes : nil
            }
        }
    }

    /// The decoded byte count and the number of `=` at the end; nil unless whole groups of four.
    private static func layout(_ input: UnsafeBufferPointer<UInt8>) -> (count: Int, padding: Int)? {
        guard input.count % 4 == 0 else { return nil }
        guard !input.isEmpty else { return (0, 0) }
        let padding = input[input.count - 1] != UInt8(ascii: "=") ? 0 : input[input.count - 2] != UInt8(ascii: "=") ? 1 : 2
        return (input.count / 4 * 3 - padding, padding)
    }
}

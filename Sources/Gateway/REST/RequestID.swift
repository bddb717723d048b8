import Synchronization

/// `x-amzn-RequestId` values: UUID-shaped (SDKs only copy them), unique within the process
/// from a random prefix and a counter. Foundation's `UUID()` asks the kernel for randomness on
/// every call; this is a few arithmetic operations.
enum RequestID {
    private static let prefix = UInt64.random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(0)

    static func next() -> String {
        let count = counter.add(1, ordering: .relaxed).newValue
        return format(high: prefix, low: count)
    }

    /// `high` and `low` as 8-4-4-4-12 lowercase hex.
    static func format(high: UInt64, low: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(36)
        for index in 0..<32 {
            if index == 8 || index == 12 || index == 16 || index == 20 { bytes.append(UInt8(ascii: "-")) }
            let word = index < 16 ? high : low
            let shift = UInt64(60 - (index % 16) * 4)
            bytes.append(digits[Int((word >> shift) & 0xf)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The event the invoke benchmarks send: a JSON string of exactly the bytes asked for, since
/// the gateway refuses a payload that is not JSON, as Lambda does, and both paths of a
/// benchmark must carry the same bytes.
enum BenchPayload {
    /// `"xx…x"`, `bytes` long (at least 2, the empty string's quotes).
    static func json(bytes: Int) -> [UInt8] {
        Array(("\"" + String(repeating: "x", count: Swift.max(0, bytes - 2)) + "\"").utf8)
    }
}

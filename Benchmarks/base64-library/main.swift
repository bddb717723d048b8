// The hand-written base64 Shoal had (HandWrittenBase64.swift) against swift-extras-base64 on the
// payload sizes an invoke carries, in one process, taking turns: the measurement behind using
// the library. Run through Benchmarks/base64-library.sh.
import ExtrasBase64
import Foundation
import ShoalBase64

@main struct Base64Library {
    static func main() throws {
        var sink = 0
        for size in [64, 1024, 65536, 6 * 1024 * 1024] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let text = ShoalBase64.Base64.encode(bytes)
            precondition(ExtrasBase64.Base64.encodeToString(bytes: bytes) == text, "the two encodings differ")
            let rounds = max(5, 8_000_000 / size)
            var shoalEncode: [Double] = []
            var extrasEncode: [Double] = []
            var shoalDecode: [Double] = []
            var extrasDecode: [Double] = []
            for _ in 0..<3 {
                shoalEncode.append(time(rounds) { sink &+= ShoalBase64.Base64.encode(bytes).utf8.count })
                extrasEncode.append(time(rounds) { sink &+= ExtrasBase64.Base64.encodeToString(bytes: bytes).utf8.count })
                shoalDecode.append(time(rounds) { sink &+= ShoalBase64.Base64.decode(text)?.count ?? 0 })
                extrasDecode.append(time(rounds) { sink &+= (try? ExtrasBase64.Base64.decode(string: text))?.count ?? 0 })
            }
            print(
                String(
                    format: "%8d B: encode hand-written %9.2f µs, extras %9.2f µs; decode hand-written %9.2f µs, extras %9.2f µs (medians of 3)",
                    size, median(shoalEncode), median(extrasEncode), median(shoalDecode), median(extrasDecode)))
        }
        print("(\(sink) bytes)")
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// Microseconds per round of `body`.
    static func time(_ rounds: Int, _ body: () -> Void) -> Double {
        let started = ContinuousClock.now
        for _ in 0..<rounds { body() }
        let elapsed = ContinuousClock.now - started
        return (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12) / Double(rounds)
    }
}

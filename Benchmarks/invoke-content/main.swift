// What the gateway's check of an invoke's content costs per payload size: the base64 decode
// and the JSON check (`JSONSyntax`) it now makes, against the size count it made before.
// Built from the sources it measures as a release package:
//
//   bash Benchmarks/invoke-content.sh
import Foundation

@main struct InvokeContentBenchmark {
    static func main() {
        var sink = 0
        for size in [64, 1024, 65536, 6 * 1024 * 1024 - 16] {
            let json = Array(("{\"p\":\"" + String(repeating: "x", count: size - 8) + "\"}").utf8)
            let text = Base64.encode(json)
            let rounds = max(5, 4_000_000 / size)
            let counted = time(rounds) { sink &+= Base64.decodedCount(text) ?? 0 }
            let decoded = time(rounds) { sink &+= Base64.decode(text)?.count ?? 0 }
            let checked = time(rounds) { if case .success = JSONSyntax.check(json) { sink &+= 1 } }
            print("payload \(size) B: size count (before) \(counted) µs; decode \(decoded) µs + JSON check \(checked) µs (now)")
        }
        // Printed so that the optimizer keeps the work measured.
        print("(\(sink) bytes counted and documents checked)")
    }

    /// Mean microseconds of `rounds` runs of `body`.
    static func time(_ rounds: Int, _ body: () -> Void) -> String {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<rounds { body() }
        return String(format: "%.2f", Double(DispatchTime.now().uptimeNanoseconds - start) / Double(rounds) / 1000)
    }
}

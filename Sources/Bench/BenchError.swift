/// The benchmarks' one error type: a tool a benchmark runs failed, or a fleet it started did not
/// come up. Printed as `Error: <message>`, exit status 1.
struct BenchError: Error, Sendable, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}

/// Percentiles and throughput of one measured run.
struct LatencySummary: CustomStringConvertible {
    var count: Int
    var elapsed: Duration
    var p50: Duration
    var p99: Duration
    var max: Duration

    init(samples: [Duration], elapsed: Duration) {
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> Duration {
            guard !sorted.isEmpty else { return .zero }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        count = sorted.count
        self.elapsed = elapsed
        p50 = percentile(0.50)
        p99 = percentile(0.99)
        max = sorted.last ?? .zero
    }

    var perSecond: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(count) / seconds : 0
    }

    static func micros(_ duration: Duration) -> String {
        let us = Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
        return String(format: "%.1f", us)
    }

    var description: String {
        "\(count) calls, \(String(format: "%.0f", perSecond))/s, p50 \(Self.micros(p50)) µs, p99 \(Self.micros(p99)) µs, max \(Self.micros(max)) µs"
    }
}

import NIOConcurrencyHelpers

/// The gateway's counters and latency histograms, rendered as Prometheus text for `GET /metrics`.
///
/// Counters and histograms are labelled by worker (and function error kind); gauges (in
/// flight, warm instances, worker up) are read from the worker directory when scraped, so
/// they are never stale. An answered invocation is one lock and one dictionary update
/// (`recordAnswer`); its labels are rendered only when scraped.
package final class GatewayMetrics: Sendable {
    package enum Counter: String, Sendable, CaseIterable {
        case invocations = "shoal_invocations_total"
        case functionErrors = "shoal_function_errors_total"
        case serviceErrors = "shoal_service_errors_total"
        case coldStarts = "shoal_cold_starts_total"
        case timeouts = "shoal_timeouts_total"
        case retries = "shoal_invoke_retries_total"
        case eventInvocations = "shoal_event_invocations_total"

        var help: String {
            switch self {
            case .invocations: "Invocations answered, by worker and invocation type."
            case .functionErrors: "Invocations that ended in a function error."
            case .serviceErrors: "Invocations that failed in Shoal itself (no worker, lost worker)."
            case .coldStarts: "Invocations that started a new instance."
            case .timeouts: "Invocations the gateway timed out."
            case .retries: "Invocations re-routed to another worker before they reached a handler."
            case .eventInvocations: "Event (asynchronous) invocations accepted."
            }
        }
    }

    /// Upper bounds of the latency buckets, in seconds: 100 µs to 30 s.
    static let buckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    private struct Histogram {
        var counts = [Int](repeating: 0, count: GatewayMetrics.buckets.count)
        var sum = 0.0
        var total = 0

        mutating func record(_ seconds: Double) {
            if let bucket = GatewayMetrics.buckets.firstIndex(where: { seconds <= $0 }) { counts[bucket] += 1 }
            sum += seconds
            total += 1
        }
    }

    /// What the answers one worker gave add to the counters and its latency histogram.
    private struct Answers {
        var requestResponse = 0.0
        var functionErrors = 0.0
        var coldStarts = 0.0
        var latency = Histogram()

        mutating func record(functionError: Bool, coldStart: Bool, seconds: Double) {
            requestResponse += 1
            if functionError { functionErrors += 1 }
            if coldStart { coldStarts += 1 }
            latency.record(seconds)
        }
    }

    private struct State {
        var counters: [Counter: [String: Double]] = [:]
        /// By worker id; kept apart from `counters` so an invocation builds no label strings.
        var answers: [String: Answers] = [:]
    }

    private let state = NIOLockedValueBox(State())

    package init() {}

    /// Adds to a counter; `labels` is already rendered (`worker="w1"`).
    package func increment(_ counter: Counter, labels: String, by amount: Double = 1) {
        state.withLockedValue { $0.counters[counter, default: [:]][labels, default: 0] += amount }
    }

    /// Counts a synchronous invocation `worker` answered: invocations, function errors, cold
    /// starts and the latency histogram.
    package func recordAnswer(worker: String, functionError: Bool, coldStart: Bool, seconds: Double) {
        // In place: a copy taken out of the dictionary and stored back would copy the bucket
        // array on every invocation.
        state.withLockedValue { state in
            state.answers[worker, default: Answers()].record(functionError: functionError, coldStart: coldStart, seconds: seconds)
        }
    }

    package func value(_ counter: Counter, labels: String) -> Double {
        Self.counters(state.withLockedValue { $0 })[counter]?[labels] ?? 0
    }

    /// The counters with the answers folded in under their labels.
    private static func counters(_ state: State) -> [Counter: [String: Double]] {
        var counters = state.counters
        for (worker, answers) in state.answers {
            let labels = "worker=\"\(worker)\""
            counters[.invocations, default: [:]][labels + ",type=\"RequestResponse\"", default: 0] += answers.requestResponse
            if answers.functionErrors > 0 { counters[.functionErrors, default: [:]][labels, default: 0] += answers.functionErrors }
            if answers.coldStarts > 0 { counters[.coldStarts, default: [:]][labels, default: 0] += answers.coldStarts }
        }
        return counters
    }

    package struct Gauge: Sendable {
        package var name: String
        package var help: String
        package var samples: [(labels: String, value: Double)]
    }

    /// The exposition text: every counter, the latency histogram, then `gauges`.
    package func render(gauges: [Gauge]) -> String {
        let snapshot = state.withLockedValue { $0 }
        let counters = Self.counters(snapshot)
        var text = ""
        for counter in Counter.allCases {
            text += "# HELP \(counter.rawValue) \(counter.help)\n# TYPE \(counter.rawValue) counter\n"
            for (labels, value) in (counters[counter] ?? [:]).sorted(by: { $0.key < $1.key }) {
                text += "\(counter.rawValue){\(labels)} \(Self.format(value))\n"
            }
        }
        let name = "shoal_invocation_duration_seconds"
        text += "# HELP \(name) Gateway-side latency of synchronous invocations.\n# TYPE \(name) histogram\n"
        for (worker, answers) in snapshot.answers.sorted(by: { $0.key < $1.key }) {
            let histogram = answers.latency
            var cumulative = 0
            for (index, bound) in Self.buckets.enumerated() {
                cumulative += histogram.counts[index]
                text += "\(name)_bucket{worker=\"\(worker)\",le=\"\(Self.format(bound))\"} \(cumulative)\n"
            }
            text += "\(name)_bucket{worker=\"\(worker)\",le=\"+Inf\"} \(histogram.total)\n"
            text += "\(name)_sum{worker=\"\(worker)\"} \(histogram.sum)\n\(name)_count{worker=\"\(worker)\"} \(histogram.total)\n"
        }
        for gauge in gauges {
            text += "# HELP \(gauge.name) \(gauge.help)\n# TYPE \(gauge.name) gauge\n"
            for sample in gauge.samples {
                text +=
                    sample.labels.isEmpty
                    ? "\(gauge.name) \(Self.format(sample.value))\n" : "\(gauge.name){\(sample.labels)} \(Self.format(sample.value))\n"
            }
        }
        return text
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

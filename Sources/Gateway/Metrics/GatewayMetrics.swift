import NIOConcurrencyHelpers
import Prometheus

/// The gateway's counters, latency histograms and gauges, in a swift-prometheus registry that
/// renders them as Prometheus text for `GET /metrics` (label values escaped by the library).
///
/// Counters and histograms are labelled by worker (and invocation type, or function); gauges
/// (in flight, warm instances, worker up, functions) are set from the worker directory when
/// scraped, so they are never stale, and a worker's gauges go when the worker does. An answered
/// invocation looks its worker's metrics up once (one lock, one hash of the worker id) and
/// updates them with atomics (`recordAnswer`).
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

        var descriptor: MetricNameDescriptor { GatewayMetrics.descriptor(rawValue, help: help) }
    }

    /// Upper bounds of the latency buckets, in seconds: 100 µs to 30 s.
    static let buckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    static let latencyName = "shoal_invocation_duration_seconds"

    /// What one worker's answered invocations update.
    private struct Answers: Sendable {
        let invocations: Prometheus.Counter
        let functionErrors: Prometheus.Counter
        let coldStarts: Prometheus.Counter
        let latency: ValueHistogram
    }

    /// A gauge's name and labels, for telling which gauges a scrape no longer sets.
    private struct GaugeKey: Hashable {
        var name: String
        var labels: [String]
    }

    private let registry = PrometheusCollectorRegistry()
    private let answers = NIOLockedValueBox<[String: Answers]>([:])
    private let gauges = NIOLockedValueBox<[GaugeKey: Prometheus.Gauge]>([:])

    package init() {}

    /// Adds to a counter.
    package func increment(_ counter: Counter, labels: [(String, String)], by amount: Int = 1) {
        registry.makeCounter(descriptor: counter.descriptor, labels: labels).increment(by: Int64(amount))
    }

    /// Counts a synchronous invocation `worker` answered: invocations, function errors, cold
    /// starts and the latency histogram.
    package func recordAnswer(worker: String, functionError: Bool, coldStart: Bool, seconds: Double) {
        let metrics = answers.withLockedValue { answers in
            if let known = answers[worker] { return known }
            let labels = [("worker", worker)]
            let made = Answers(
                invocations: registry.makeCounter(descriptor: Counter.invocations.descriptor, labels: labels + [("type", "RequestResponse")]),
                functionErrors: registry.makeCounter(descriptor: Counter.functionErrors.descriptor, labels: labels),
                coldStarts: registry.makeCounter(descriptor: Counter.coldStarts.descriptor, labels: labels),
                latency: registry.makeValueHistogram(
                    descriptor: Self.descriptor(Self.latencyName, help: "Gateway-side latency of synchronous invocations."),
                    labels: labels, buckets: Self.buckets)
            )
            answers[worker] = made
            return made
        }
        metrics.invocations.increment()
        if functionError { metrics.functionErrors.increment() }
        if coldStart { metrics.coldStarts.increment() }
        metrics.latency.record(seconds)
    }

    /// A counter's value, from the rendered text (for tests and tools; 0 when never counted).
    package func value(_ counter: Counter, labels: [(String, String)]) -> Double {
        let rendered = labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",")
        let prefix = "\(counter.rawValue){\(rendered)} "
        let line = registry.emitToString().split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Double($0.dropFirst(prefix.count)) } ?? 0
    }

    /// A gauge as a scrape sets it.
    package struct Gauge: Sendable {
        package var name: String
        package var help: String
        package var samples: [(labels: [(String, String)], value: Double)]
    }

    /// The exposition text: every counter and histogram, and `gauges` as they are now (a
    /// gauge the previous scrape set and this one does not is removed).
    package func render(gauges current: [Gauge]) -> String {
        gauges.withLockedValue { gauges in
            var seen = Set<GaugeKey>()
            for gauge in current {
                let descriptor = Self.descriptor(gauge.name, help: gauge.help)
                for sample in gauge.samples {
                    let key = GaugeKey(name: gauge.name, labels: sample.labels.flatMap { [$0.0, $0.1] })
                    let metric =
                        sample.labels.isEmpty
                        ? registry.makeGauge(descriptor: descriptor) : registry.makeGauge(descriptor: descriptor, labels: sample.labels)
                    metric.set(sample.value)
                    gauges[key] = metric
                    seen.insert(key)
                }
            }
            for (key, gauge) in gauges where !seen.contains(key) {
                registry.unregisterGauge(gauge)
                gauges[key] = nil
            }
        }
        return registry.emitToString()
    }

    /// A metric's name as the library takes it: the whole name, no unit appended.
    private static func descriptor(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}

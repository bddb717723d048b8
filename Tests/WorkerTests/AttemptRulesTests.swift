import Testing

@testable import ShoalWorker

/// The retry and probe rules both invoke paths share, without sockets.
@Suite struct AttemptRulesTests {
    @Test func onlyARequestThatProvablyNeverArrivedIsRetried() {
        let notDelivered = WorkerError(.notDelivered, "connection refused")
        #expect(AttemptRules.afterFailure(notDelivered, receivedAnything: false) == .retry)
        #expect(AttemptRules.afterFailure(notDelivered, receivedAnything: true) == .fail, "an answer had begun: it may have run")
        #expect(AttemptRules.afterFailure(WorkerError(.transferFailed, "reset"), receivedAnything: false) == .fail)
        #expect(AttemptRules.afterFailure(WorkerError(.timedOut, "slow"), receivedAnything: false) == .fail)
        #expect(AttemptRules.afterFailure(CancellationError(), receivedAnything: false) == .fail)
    }

    @Test func onlyAnInstanceThatJustAnsweredSkipsItsProbe() {
        #expect(AttemptRules.skipsProbe(lastSuccessAgo: .milliseconds(200), freshness: .seconds(1)))
        #expect(!AttemptRules.skipsProbe(lastSuccessAgo: .seconds(1), freshness: .seconds(1)))
        #expect(!AttemptRules.skipsProbe(lastSuccessAgo: nil, freshness: .seconds(1)), "a fresh instance never answered yet")
        #expect(!AttemptRules.skipsProbe(lastSuccessAgo: .zero, freshness: .zero), "freshness 0 probes every time")
    }
}

import Testing

@testable import ShoalGateway

/// AWS's alias rules and the weighted choice, as pure values.
struct AliasRulesTests {
    @Test func theWeightedVersionRunsWithItsWeightsChance() {
        let weights = ["2": 0.3]
        #expect(AliasRules.choose(primary: "1", weights: weights, draw: 0.0) == "2")
        #expect(AliasRules.choose(primary: "1", weights: weights, draw: 0.2999) == "2")
        #expect(AliasRules.choose(primary: "1", weights: weights, draw: 0.3) == "1")
        #expect(AliasRules.choose(primary: "1", weights: nil, draw: 0.0) == "1")
        #expect(AliasRules.choose(primary: "1", weights: ["2": 0], draw: 0.0) == "1")
        let draws = (0..<1000).map { Double($0) / 1000 }
        #expect(draws.filter { AliasRules.choose(primary: "1", weights: weights, draw: $0) == "2" }.count == 300)
    }

    @Test func whatAWSRefuses() {
        #expect(throws: (any Error).self) { try AliasRules.name("123") }
        #expect(throws: (any Error).self) { try AliasRules.name("bad name") }
        #expect(throws: (any Error).self) { try AliasRules.name(String(repeating: "a", count: 129)) }
        #expect(throws: Never.self) { try AliasRules.name("live-2") }
        #expect(throws: (any Error).self) { try AliasRules.routing(primary: "$LATEST", weights: ["1": 0.5]) }
        #expect(throws: (any Error).self) { try AliasRules.routing(primary: "1", weights: ["2": 0.5, "3": 0.1]) }
        #expect(throws: (any Error).self) { try AliasRules.routing(primary: "1", weights: ["2": 1.5]) }
        #expect(throws: (any Error).self) { try AliasRules.routing(primary: "1", weights: ["1": 0.5]) }
        #expect(throws: Never.self) { try AliasRules.routing(primary: "1", weights: ["2": 1]) }
        #expect(throws: Never.self) { try AliasRules.routing(primary: "$LATEST", weights: nil) }
    }
}

import Testing

@testable import ShoalProtocol

@Suite struct HashRingTests {
    private let keys = (0..<10_000).map { "function-\($0)" }
    private let nodes = (0..<16).map { "worker-\($0)" }

    private func assignment(_ ring: HashRing) -> [String: String] {
        Dictionary(uniqueKeysWithValues: keys.map { ($0, ring.owner(of: $0)!) })
    }

    @Test func loadIsEvenWithTheDefaultVirtualNodes() {
        let ring = HashRing(nodes: nodes)
        #expect(ring.virtualNodes == HashRing.defaultVirtualNodes)
        var load: [String: Int] = [:]
        for key in keys { load[ring.owner(of: key)!, default: 0] += 1 }
        #expect(load.count == 16)
        let mean = Double(keys.count) / 16
        let ratio = Double(load.values.max()!) / mean
        #expect(ratio <= 1.10, "max/mean load \(ratio)")
    }

    @Test func addingANodeMovesFewKeysAndOnlyToIt() {
        var ring = HashRing(nodes: nodes)
        let before = assignment(ring)
        ring.insert("worker-16")
        let after = assignment(ring)
        let moved = keys.filter { before[$0] != after[$0] }
        let movedShare = Double(moved.count) / Double(keys.count)
        let bound: Double = 1.0 / 17 + 0.02
        #expect(movedShare <= bound, "moved \(moved.count)")
        #expect(!moved.isEmpty)
        #expect(moved.allSatisfy { after[$0] == "worker-16" })
    }

    @Test func removingANodeMovesOnlyItsKeysToTheirNextSuccessor() {
        var ring = HashRing(nodes: nodes)
        let before = assignment(ring)
        let successors = Dictionary(uniqueKeysWithValues: keys.map { ($0, ring.successors(of: $0, limit: 2)) })
        ring.remove("worker-5")
        let after = assignment(ring)
        for key in keys {
            if before[key] == "worker-5" {
                #expect(after[key] == successors[key]![1])
            } else {
                #expect(after[key] == before[key])
            }
        }
    }

    @Test func successorsStartAtTheOwnerAndListEveryNodeOnce() {
        let ring = HashRing(nodes: nodes)
        for key in keys.prefix(200) {
            let order = ring.successors(of: key)
            #expect(order.first == ring.owner(of: key))
            #expect(order.count == 16)
            #expect(Set(order).count == 16)
            #expect(ring.successors(of: key, limit: 3) == Array(order.prefix(3)))
        }
    }

    @Test func placementIsStableAcrossProcesses() {
        // Golden values: a seeded hash (Swift's Hasher) would change these on every run.
        #expect(StableHash.hash("") == StableHash.mix(0xcbf2_9ce4_8422_2325))
        #expect(StableHash.hash("shoal") == 0xa965_faf8_1fb6_da66)
        let ring = HashRing(nodes: ["a", "b", "c"])
        #expect(ring == HashRing(nodes: ["c", "b", "a"]), "insertion order must not matter")
    }

    @Test func emptyRingOwnsNothingAndDuplicatesAreIgnored() {
        var ring = HashRing()
        #expect(ring.owner(of: "x") == nil)
        #expect(ring.successors(of: "x").isEmpty)
        ring.insert("a")
        ring.insert("a")
        #expect(ring.nodes == ["a"])
        #expect(ring.successors(of: "x") == ["a"])
        ring.remove("a")
        #expect(ring.isEmpty)
    }
}

/// A consistent-hash ring with virtual nodes: which worker owns a function, and who is next.
///
/// A pure value: no I/O, no clock. Each node is placed at `virtualNodes` points, the hashes of
/// "NODE#i"; a key belongs to the node at the first point clockwise from the key's hash.
/// Adding a node therefore moves keys only to that node, and removing one moves only its keys,
/// each to the node that was next for it, which is exactly `successors(of:)`'s order.
public struct HashRing: Sendable, Equatable {
    /// Points per node on the ring: enough for an even spread over a few nodes.
    public static let defaultVirtualNodes = 1024

    private struct Point: Sendable, Equatable, Comparable {
        var hash: UInt64
        var node: String
        static func < (a: Point, b: Point) -> Bool { (a.hash, a.node) < (b.hash, b.node) }
    }

    /// Points each node has on the ring.
    public let virtualNodes: Int
    /// The nodes on the ring.
    public private(set) var nodes: Set<String> = []
    private var points: [Point] = []

    /// Creates a `HashRing`.
    public init(nodes: some Sequence<String> = [String](), virtualNodes: Int = HashRing.defaultVirtualNodes) {
        precondition(virtualNodes > 0, "a ring needs at least one virtual node per node")
        self.virtualNodes = virtualNodes
        for node in nodes { insert(node) }
    }

    /// True when no node is on the ring.
    public var isEmpty: Bool { nodes.isEmpty }

    /// Adds a node: only the keys that now hash to it move.
    public mutating func insert(_ node: String) {
        guard nodes.insert(node).inserted else { return }
        points.append(contentsOf: (0..<virtualNodes).map { Point(hash: StableHash.hash("\(node)#\($0)"), node: node) })
        points.sort()
    }

    /// Removes a node: only its keys move, to their next owners.
    public mutating func remove(_ node: String) {
        guard nodes.remove(node) != nil else { return }
        points.removeAll { $0.node == node }
    }

    /// The node that owns `key`, or nil on an empty ring.
    public func owner(of key: String) -> String? {
        guard !points.isEmpty else { return nil }
        return points[firstIndex(atOrAfter: StableHash.hash(key))].node
    }

    /// Every node, in the order `key` would fail over to them: the owner first, then each
    /// distinct node met walking clockwise. `limit` stops early.
    public func successors(of key: String, limit: Int = .max) -> [String] {
        guard !points.isEmpty, limit > 0 else { return [] }
        let wanted = min(limit, nodes.count)
        var result: [String] = []
        var seen = Set<String>()
        var index = firstIndex(atOrAfter: StableHash.hash(key))
        while result.count < wanted {
            let node = points[index].node
            if seen.insert(node).inserted { result.append(node) }
            index = (index + 1) % points.count
        }
        return result
    }

    /// Binary search for the first point at or after `hash`, wrapping to 0 past the end.
    private func firstIndex(atOrAfter hash: UInt64) -> Int {
        var low = 0
        var high = points.count
        while low < high {
            let mid = (low + high) / 2
            if points[mid].hash < hash { low = mid + 1 } else { high = mid }
        }
        return low == points.count ? 0 : low
    }
}

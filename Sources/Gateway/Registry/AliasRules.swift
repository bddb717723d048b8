import ShoalProtocol

/// AWS's rules for an alias, and how a weighted alias picks the version of one invocation.
/// Pure: tested without a registry.
enum AliasRules {
    /// 1 to 128 of `[A-Za-z0-9_-]`, not all digits (those are version numbers).
    static func name(_ name: String) throws(GatewayError) {
        let nameBytes = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        guard (1...128).contains(name.utf8.count), nameBytes, !isVersionNumber(name) else {
            throw GatewayError(
                .invalidParameter,
                "1 validation error detected: Value '\(RPCError.echo(name))' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
            )
        }
    }

    static func isVersionNumber(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// The weighted split: one additional version at most, not the primary, weights in [0, 1],
    /// and none with `$LATEST` as the primary.
    static func routing(primary: String, weights: [String: Double]?) throws(GatewayError) {
        guard let weights, !weights.isEmpty else { return }
        guard weights.count <= 1 else {
            throw GatewayError(.invalidParameter, "Number of items in AdditionalVersionWeights cannot be greater than 1")
        }
        guard primary != "$LATEST" else {
            throw GatewayError(.invalidParameter, "$LATEST is not supported for an alias pointing to more than 1 version")
        }
        for (version, weight) in weights {
            guard (0...1).contains(weight) else {
                throw GatewayError(
                    .invalidParameter,
                    "1 validation error detected: Value '\(weight)' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]"
                )
            }
            guard version != primary else {
                throw GatewayError(
                    .invalidParameter,
                    "Invalid function version \(RPCError.echo(version)). Function version \(version) is already included in routing configuration.")
            }
        }
    }

    /// The version one invocation runs: an additional version with its weight's chance, else the
    /// primary. `draw` is uniform in [0, 1).
    static func choose(primary: String, weights: [String: Double]?, draw: Double) -> String {
        guard let (version, weight) = weights?.first, draw < weight else { return primary }
        return version
    }
}

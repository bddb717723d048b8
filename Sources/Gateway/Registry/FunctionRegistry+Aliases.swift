import Foundation
import ShoalProtocol

extension FunctionRegistry {
    /// Creates an alias; its version (and any weighted one) must exist.
    package func createAlias(_ params: ClientAPI.AliasParams) async throws -> (alias: AliasesRecord.Alias, function: String) {
        let function = try function(ARNs.functionName(from: params.functionName)).name
        try AliasRules.name(params.name)
        guard let version = params.functionVersion else { throw GatewayError(.invalidParameter, "functionVersion is required") }
        let weights = params.routingConfig?.additionalVersionWeights
        try checkTargets(function, primary: version, weights: weights)
        let previous = aliases.withLockedValue { $0[function] }
        var record = previous ?? AliasesRecord(name: function, aliases: [])
        guard !record.aliases.contains(where: { $0.name == params.name }) else {
            throw GatewayError(.conflict, "Alias already exists: \(arns.function(function)):\(params.name)")
        }
        let alias = AliasesRecord.Alias(
            name: params.name, functionVersion: version, description: params.description ?? "", weights: weights.flatMap { $0.isEmpty ? nil : $0 },
            revisionId: UUID().uuidString.lowercased())
        record.aliases.append(alias)
        record.aliases.sort { $0.name < $1.name }
        try await writeAliases(record, replacing: previous)
        return (alias, function)
    }

    /// Changes what `params` gives of an existing alias.
    package func updateAlias(_ params: ClientAPI.AliasParams) async throws -> (alias: AliasesRecord.Alias, function: String) {
        let (current, function) = try alias(params.functionName, params.name)
        var alias = current
        if let version = params.functionVersion { alias.functionVersion = version }
        if let description = params.description { alias.description = description }
        if let routing = params.routingConfig { alias.weights = routing.additionalVersionWeights.isEmpty ? nil : routing.additionalVersionWeights }
        try checkTargets(function, primary: alias.functionVersion, weights: alias.weights)
        alias.revisionId = UUID().uuidString.lowercased()
        let previous = aliases.withLockedValue { $0[function] }
        var record = previous ?? AliasesRecord(name: function, aliases: [])
        record.aliases = record.aliases.map { $0.name == alias.name ? alias : $0 }
        try await writeAliases(record, replacing: previous)
        return (alias, function)
    }

    /// Deletes an alias; one that is not there is no error (as AWS).
    package func deleteAlias(_ functionName: String, _ name: String) async throws {
        let function = try function(ARNs.functionName(from: functionName)).name
        guard let previous = aliases.withLockedValue({ $0[function] }), previous.aliases.contains(where: { $0.name == name }) else { return }
        var record = previous
        record.aliases.removeAll { $0.name == name }
        try await writeAliases(record, replacing: previous)
    }

    /// One alias, and its function's name.
    package nonisolated func alias(_ functionName: String, _ name: String) throws -> (alias: AliasesRecord.Alias, function: String) {
        let function = try function(ARNs.functionName(from: functionName)).name
        guard let alias = aliases.withLockedValue({ $0[function]?.aliases.first { $0.name == name } }) else {
            throw GatewayError(.functionNotFound, "Cannot find alias arn: \(arns.function(function)):\(RPCError.echo(name))")
        }
        return (alias, function)
    }

    /// A function's aliases in name order, those pointing at `version` when given.
    package nonisolated func aliases(of functionName: String, version: String? = nil) throws -> (aliases: [AliasesRecord.Alias], function: String) {
        let function = try function(ARNs.functionName(from: functionName)).name
        let all = aliases.withLockedValue { $0[function]?.aliases } ?? []
        return (all.filter { version == nil || $0.functionVersion == version || $0.weights?[version!] != nil }, function)
    }

    /// The versions an alias names exist, and its split keeps AWS's rules.
    private nonisolated func checkTargets(_ function: String, primary: String, weights: [String: Double]?) throws {
        try AliasRules.routing(primary: primary, weights: weights)
        for version in [primary] + (weights.map { Array($0.keys) } ?? []) where version != "$LATEST" {
            guard AliasRules.isVersionNumber(version), publishedVersion(function, version) != nil else {
                throw GatewayError(.functionNotFound, "Function not found: \(arns.function(function)):\(RPCError.echo(version))")
            }
        }
    }
}

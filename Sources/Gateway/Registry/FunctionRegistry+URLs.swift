import Foundation
import ShoalProtocol

extension FunctionRegistry {
    /// Creates the URL of a function or of one of its aliases; a second one is 409.
    package func createURL(
        _ functionName: String, qualifier: String?, authType: String, invokeMode: String, cors: String?
    ) async throws -> (FunctionRecord.URLConfig, function: String) {
        var record = try function(ARNs.functionName(from: functionName))
        try checkURLQualifier(qualifier, of: record.name)
        guard !(record.urls ?? []).contains(where: { $0.qualifier == qualifier }) else {
            throw GatewayError(
                .conflict,
                "Failed to create function url config for [functionArn = \(arns.function(record.name))\(qualifier.map { ":" + $0 } ?? "")]. Error message:  FunctionUrlConfig exists for this Lambda function"
            )
        }
        let now = FunctionRecord.timestamp()
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        let config = FunctionRecord.URLConfig(
            urlID: String((0..<32).map { _ in alphabet.randomElement()! }), qualifier: qualifier, authType: authType, invokeMode: invokeMode,
            cors: cors, creationTime: now, lastModifiedTime: now)
        record.urls = (record.urls ?? []) + [config]
        _ = try await replace(record)
        return (config, record.name)
    }

    /// Changes what is given of an existing URL config.
    package func updateURL(
        _ functionName: String, qualifier: String?, authType: String?, invokeMode: String?, cors: String?
    ) async throws -> (FunctionRecord.URLConfig, function: String) {
        var record = try function(ARNs.functionName(from: functionName))
        guard var config = record.urls?.first(where: { $0.qualifier == qualifier }) else {
            throw GatewayError(.functionNotFound, "The resource you requested does not exist.")
        }
        if let authType { config.authType = authType }
        if let invokeMode { config.invokeMode = invokeMode }
        if let cors { config.cors = cors }
        config.lastModifiedTime = FunctionRecord.timestamp()
        record.urls = record.urls?.map { $0.qualifier == qualifier ? config : $0 }
        _ = try await replace(record)
        return (config, record.name)
    }

    /// Deletes a URL config; a missing one is 404.
    package func deleteURL(_ functionName: String, qualifier: String?) async throws {
        var record = try function(ARNs.functionName(from: functionName))
        guard record.urls?.contains(where: { $0.qualifier == qualifier }) == true else {
            throw GatewayError(.functionNotFound, "The resource you requested does not exist.")
        }
        record.urls?.removeAll { $0.qualifier == qualifier }
        _ = try await replace(record)
    }

    /// The function and qualifier a URL id invokes.
    package nonisolated func urlTarget(_ urlID: String) -> (function: String, config: FunctionRecord.URLConfig)? {
        functions.withLockedValue { functions in
            for (name, entry) in functions {
                if let config = entry.record.urls?.first(where: { $0.urlID == urlID }) { return (name, config) }
            }
            return nil
        }
    }

    /// A URL belongs to the function or to one of its aliases, never to a version.
    private nonisolated func checkURLQualifier(_ qualifier: String?, of function: String) throws {
        guard let qualifier else { return }
        guard qualifier != "$LATEST", !AliasRules.isVersionNumber(qualifier) else {
            throw GatewayError(
                .invalidParameter,
                "1 validation error detected: Value '\(RPCError.echo(qualifier))' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)"
            )
        }
        _ = try alias(function, qualifier)
    }
}

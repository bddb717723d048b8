import Foundation
import ShoalProtocol

extension FunctionRegistry {
    /// A published version and its deploy id, for routing; the function's reserved
    /// concurrency is the function's, so the version carries the current one.
    nonisolated func publishedVersion(_ name: String, _ qualifier: String) -> (record: FunctionRecord, deployID: String)? {
        guard qualifier.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            var record = versions.withLockedValue({ $0[name]?.versions.first { $0.version == qualifier } })
        else { return nil }
        record.reservedConcurrency = functions.withLockedValue { $0[name]?.record.reservedConcurrency }
        return (record, record.definition.deployID.rawValue)
    }

    /// Publishes `$LATEST` as a new version; if nothing changed since the last one, that one
    /// (as AWS). `codeSha256`, when given, must be `$LATEST`'s (base64, as AWS shows it).
    package func publishVersion(_ nameOrARN: String, codeSha256: String? = nil, description: String? = nil) async throws -> FunctionRecord {
        let latest = try function(ARNs.functionName(from: nameOrARN))
        let current = latest.codeSHA256.map(FunctionRecord.base64OfHex) ?? ""
        if let codeSha256, codeSha256 != current {
            throw GatewayError(
                .invalidParameter,
                "CodeSHA256 (\(RPCError.echo(codeSha256))) is different from current CodeSHA256 in $LATEST (\(current)). Please try again with the CodeSHA256 in $LATEST."
            )
        }
        let previous = versions.withLockedValue { $0[latest.name] }
        var published = previous ?? VersionsRecord(name: latest.name, latestPublished: 0, versions: [])
        if let last = published.versions.last, Self.sameDeploy(last, latest), description == nil || description == last.description {
            return last
        }
        published.latestPublished += 1
        var snapshot = latest
        snapshot.version = String(published.latestPublished)
        snapshot.description = description ?? latest.description
        snapshot.lastModified = FunctionRecord.timestamp()
        snapshot.revisionId = UUID().uuidString.lowercased()
        // Function-level settings stay with the function.
        snapshot.tags = nil
        snapshot.policy = nil
        snapshot.reservedConcurrency = nil
        published.versions.append(snapshot)
        try await writeVersions(published, replacing: previous)
        logger.info("version published", metadata: ["function": "\(latest.name)", "version": "\(published.latestPublished)"])
        return snapshot
    }

    /// `$LATEST` and every published version, oldest first, a page at a time.
    package nonisolated func listVersions(_ nameOrARN: String, marker: String?, maxItems: Int) throws -> (
        versions: [FunctionRecord], nextMarker: String?
    ) {
        let latest = try function(ARNs.functionName(from: nameOrARN))
        let all = [latest] + (versions.withLockedValue { $0[latest.name]?.versions } ?? [])
        let start = marker.flatMap(Int.init) ?? 0
        let page = Array(all.dropFirst(start).prefix(maxItems))
        return (page, start + page.count < all.count ? String(start + page.count) : nil)
    }

    /// Deletes one published version; its number is never given again.
    func deleteVersion(_ name: String, _ version: String) async throws {
        guard let previous = versions.withLockedValue({ $0[name] }), previous.versions.contains(where: { $0.version == version }) else {
            throw GatewayError(.functionNotFound, "Function not found: \(arns.function(name)):\(RPCError.echo(version))")
        }
        let referring = (aliases.withLockedValue { $0[name]?.aliases } ?? []).filter {
            $0.functionVersion == version || $0.weights?[version] != nil
        }
        guard referring.isEmpty else {
            throw GatewayError(
                .conflict, "Unable to delete version because the following aliases reference it: \(referring.map(\.name).sorted())")
        }
        var published = previous
        published.versions.removeAll { $0.version == version }
        try await writeVersions(published, replacing: previous)
        logger.info("version deleted", metadata: ["function": "\(name)", "version": "\(version)"])
    }

    /// The same code and configuration, whatever the version.
    private static func sameDeploy(_ a: FunctionRecord, _ b: FunctionRecord) -> Bool {
        var a = a.definition
        var b = b.definition
        a.version = nil
        b.version = nil
        return a.deployID == b.deployID
    }
}

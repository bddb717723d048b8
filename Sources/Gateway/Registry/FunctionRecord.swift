import Foundation
import ShoalProtocol

/// A function as the registry keeps it on disk: its configuration and the hashes of its code
/// and layers (the zips are blobs of their own, stored once per content).
package struct FunctionRecord: Codable, Sendable, Hashable {
    package struct LayerReference: Codable, Sendable, Hashable {
        package var arn: String
        package var sha256: String
        package var codeSize: Int
    }

    package var name: String
    package var runtime: String
    package var handler: String
    /// Hex SHA-256 of the code zip; nil for an Image function.
    package var codeSHA256: String?
    package var codeSize: Int
    package var timeout: Int
    package var memorySize: Int
    package var environment: [String: String]
    package var layers: [LayerReference]
    package var packageType: String
    package var imageUri: String?
    package var description: String?
    package var lastModified: String
    // Stored and shown, never acted on; optional so that records written before them load.
    package var role: String?
    package var tags: [String: String]?
    package var architectures: [String]?
    package var ephemeralStorage: Int?
    /// An image function's ENTRYPOINT, CMD and WORKDIR overrides.
    package var imageConfig: FunctionConfiguration.ImageConfig?
    /// A new UUID on every change.
    package var revisionId: String?
    /// Reserved concurrency: the most calls of this function in flight at once, enforced by
    /// the worker that owns it (each call carries it there); nil is none.
    package var reservedConcurrency: Int?
    /// The resource policy's statements (AddPermission), each kept as the JSON text AWS
    /// returns; stored and shown, never enforced.
    package var policy: [PolicyStatement]?
    /// Function URLs: one for the function itself (no qualifier) and one per alias.
    package var urls: [URLConfig]?

    package struct URLConfig: Codable, Sendable, Hashable {
        /// 32 characters of `[0-9a-z]`, the URL's host label.
        package var urlID: String
        /// The alias it invokes; nil is the unqualified function.
        package var qualifier: String?
        package var authType: String
        package var invokeMode: String
        /// The `Cors` member as JSON text, as it was given.
        package var cors: String?
        package var creationTime: String
        package var lastModifiedTime: String
    }

    /// The published version this record is a snapshot of ("1", "2", ...); nil is `$LATEST`.
    package var version: String?

    package struct PolicyStatement: Codable, Sendable, Hashable {
        package var sid: String
        package var json: String
    }

    /// What a worker is sent to run it.
    package var definition: FunctionDefinition {
        FunctionDefinition(
            name: name, runtime: runtime, handler: handler, timeoutSeconds: timeout, memoryMB: memorySize,
            environment: environment, packageType: packageType, imageURI: imageUri, codeSHA256: codeSHA256,
            layerSHA256s: layers.map(\.sha256), version: version, imageConfig: imageConfig, ephemeralStorageMB: ephemeralStorage
        )
    }

    /// The key a worker knows this record's pool by: `NAME`, or `NAME:VERSION`.
    package var workerName: String { definition.poolKey }

    /// Every blob the function needs on a worker, code first.
    package var artifacts: [String] { (codeSHA256.map { [$0] } ?? []) + layers.map(\.sha256) }

    package func configuration(arns: ARNs) -> FunctionConfiguration {
        var configuration = FunctionConfiguration(
            functionName: name, functionArn: arns.function(name), runtime: runtime, handler: handler,
            codeSha256: codeSHA256.map(Self.base64OfHex) ?? "", codeSize: codeSize, timeout: timeout,
            memorySize: memorySize, environment: .init(variables: environment),
            layers: layers.map { .init(arn: $0.arn, codeSize: $0.codeSize) }, packageType: packageType,
            imageUri: imageUri, description: description, lastModified: lastModified, role: role, revisionId: revisionId,
            architectures: architectures ?? ["x86_64"], ephemeralStorage: .init(size: ephemeralStorage ?? 512)
        )
        configuration.imageConfigResponse = imageConfig.map(FunctionConfiguration.ImageConfigResponse.init)
        return configuration.versioned(version, arn: arns.function(name))
    }

    /// AWS reports code hashes as base64 of the digest; the registry keys blobs by hex.
    static func base64OfHex(_ hex: String) -> String {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return Data(bytes).base64EncodedString()
    }

    /// AWS's lastModified format: ISO 8601 with milliseconds and a numeric zone.
    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
        return formatter.string(from: date)
    }
}

/// A function's published versions: immutable snapshots of its configuration and code,
/// numbered from 1, never reused.
package struct VersionsRecord: Codable, Sendable, Hashable {
    package var name: String
    package var latestPublished: Int
    /// Oldest first; each has `version` set.
    package var versions: [FunctionRecord]
}

/// A function's aliases, each a name for a version, with an optional weighted split.
package struct AliasesRecord: Codable, Sendable, Hashable {
    package struct Alias: Codable, Sendable, Hashable {
        package var name: String
        package var functionVersion: String
        package var description: String
        package var weights: [String: Double]?
        package var revisionId: String
    }

    package var name: String
    package var aliases: [Alias]
}

/// A published layer: its versions in order, each a blob.
package struct LayerRecord: Codable, Sendable, Hashable {
    package struct Version: Codable, Sendable, Hashable {
        package var version: Int
        package var sha256: String
        package var codeSize: Int
        package var compatibleRuntimes: [String]
        // Optional so that records written before them load.
        package var description: String?
        package var compatibleArchitectures: [String]?
        package var licenseInfo: String?
        package var createdDate: String?
    }

    package var name: String
    /// The versions that exist, oldest first.
    package var versions: [Version]
    /// The highest version ever published: numbers are never reused, even after every
    /// version was deleted (as AWS).
    package var latestPublished: Int?
}

/// How ARNs are spelled for this gateway's region and account.
package struct ARNs: Sendable, Hashable {
    package var region: String
    package var account: String

    package init(region: String = "us-east-1", account: String = "000000000000") {
        self.region = region
        self.account = account
    }

    package func function(_ name: String) -> String { "arn:aws:lambda:\(region):\(account):function:\(name)" }
    package func layer(_ name: String) -> String { "arn:aws:lambda:\(region):\(account):layer:\(name)" }
    package func layerVersion(_ name: String, _ version: Int) -> String { "\(layer(name)):\(version)" }

    /// The function name and qualifier (a version or an alias) in each form AWS's
    /// `FunctionName` takes: `NAME`, `NAME:QUALIFIER`, `ACCOUNT:function:NAME[:QUALIFIER]` and
    /// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`. Anything else comes back
    /// whole as the name, which then fails the name rule or is not found.
    package static func functionReference(_ text: String) -> (name: String, qualifier: String?) {
        // A plain name (every invoke of most clients) is not split into an array of parts.
        guard text.utf8.contains(UInt8(ascii: ":")) else { return (text, nil) }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 2: return (parts[0], parts[1])
        case 3 where parts[1] == "function": return (parts[2], nil)
        case 4 where parts[1] == "function": return (parts[2], parts[3])
        case 7 where parts[0] == "arn" && parts[5] == "function": return (parts[6], nil)
        case 8 where parts[0] == "arn" && parts[5] == "function": return (parts[6], parts[7])
        default: return (text, nil)
        }
    }

    /// The function name in a name or ARN, its qualifier left out.
    package static func functionName(from nameOrARN: String) -> String {
        functionReference(nameOrARN).name
    }

    /// (layer name, version) of `arn:aws:lambda:R:A:layer:NAME:VERSION`.
    package static func layerVersion(from arn: String) -> (name: String, version: Int)? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 8, parts[0] == "arn", parts[5] == "layer", let version = Int(parts[7]) else { return nil }
        return (String(parts[6]), version)
    }
}

extension FunctionConfiguration {
    /// As a published version shows itself: its number, and its qualified ARN.
    func versioned(_ version: String?, arn: String) -> FunctionConfiguration {
        guard let version else { return self }
        var configuration = self
        configuration.version = version
        configuration.functionArn = "\(arn):\(version)"
        return configuration
    }
}

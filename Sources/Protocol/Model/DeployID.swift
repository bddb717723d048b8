import Crypto
import Foundation

/// Identifies one deploy of a function: its code plus everything an instance is launched with.
///
/// Instances of different deploys never serve each other's calls: a code, configuration or
/// layer change yields a new id, and the pool retires instances of the old one. The id goes
/// into URLs, file names and container labels, so it is URL-safe base64 without padding.
package struct DeployID: Hashable, Sendable, Codable, CustomStringConvertible {
    package let rawValue: String

    package init(rawValue: String) { self.rawValue = rawValue }

    /// The deploy of a function definition: SHA-256 over the code hash, runtime, handler,
    /// timeout, memory, environment (sorted by name), package type, image and each layer's
    /// hash in attach order (the same layers in another order overlay differently). Each field
    /// is length-prefixed in the hash input, so no two different definitions hash the same
    /// bytes. The name is not part of it: a deploy is what runs, not what it is called.
    package init(_ function: FunctionDefinition) {
        var hasher = SHA256()
        func field(_ value: String) {
            let bytes = Array(value.utf8)
            withUnsafeBytes(of: UInt64(bytes.count).bigEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: bytes)
        }
        field("shoal-deploy-v1")
        field(function.codeSHA256 ?? "")
        field(function.runtime)
        field(function.handler)
        field(String(function.timeoutSeconds))
        field(String(function.memoryMB))
        field(String(function.environment.count))
        for key in function.environment.keys.sorted() {
            field(key)
            field(function.environment[key]!)
        }
        field(function.packageType)
        field(function.imageURI ?? "")
        field(String(function.layerSHA256s.count))
        function.layerSHA256s.forEach(field)
        // Later fields, hashed only when set: a deploy without them keeps its earlier id.
        if let overrides = function.imageConfig {
            field("imageConfig")
            field(overrides.entryPoint.map { "\($0.count)\u{0}" + $0.joined(separator: "\u{0}") } ?? "-")
            field(overrides.command.map { "\($0.count)\u{0}" + $0.joined(separator: "\u{0}") } ?? "-")
            field(overrides.workingDirectory ?? "-")
        }
        if let storage = function.ephemeralStorageMB {
            field("ephemeralStorage")
            field(String(storage))
        }
        rawValue = Data(hasher.finalize()).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    package var description: String { rawValue }
}

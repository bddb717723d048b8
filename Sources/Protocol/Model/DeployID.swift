import Crypto
import Foundation

/// Identifies one deploy of a function: its code plus everything an instance is launched with.
///
/// Instances of different deploys never serve each other's calls: a code, configuration or
/// layer change yields a new id, and the pool retires instances of the old one. The id goes
/// into URLs, file names and container labels, so it is URL-safe base64 without padding.
public struct DeployID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// What a deploy is made of. Each field is length-prefixed in the hash input, so no two
    /// different inputs can produce the same byte string.
    public struct Inputs: Sendable, Hashable {
        public var codeSHA256: String
        public var runtime: String
        public var handler: String
        public var timeoutSeconds: Int
        public var memoryMB: Int
        public var environment: [String: String]
        public var packageType: String
        public var imageURI: String?
        public var layerSHA256s: [String]

        public init(
            codeSHA256: String, runtime: String, handler: String, timeoutSeconds: Int, memoryMB: Int,
            environment: [String: String], packageType: String = "Zip", imageURI: String? = nil, layerSHA256s: [String] = []
        ) {
            self.codeSHA256 = codeSHA256
            self.runtime = runtime
            self.handler = handler
            self.timeoutSeconds = timeoutSeconds
            self.memoryMB = memoryMB
            self.environment = environment
            self.packageType = packageType
            self.imageURI = imageURI
            self.layerSHA256s = layerSHA256s
        }
    }

    public init(_ inputs: Inputs) {
        var hasher = SHA256()
        func field(_ value: String) {
            let bytes = Array(value.utf8)
            withUnsafeBytes(of: UInt64(bytes.count).bigEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: bytes)
        }
        field("shoal-deploy-v1")
        field(inputs.codeSHA256)
        field(inputs.runtime)
        field(inputs.handler)
        field(String(inputs.timeoutSeconds))
        field(String(inputs.memoryMB))
        // Sorted, so the order a client listed its variables in does not matter.
        field(String(inputs.environment.count))
        for key in inputs.environment.keys.sorted() {
            field(key)
            field(inputs.environment[key]!)
        }
        field(inputs.packageType)
        field(inputs.imageURI ?? "")
        // In attach order: the same layers in another order overlay differently.
        field(String(inputs.layerSHA256s.count))
        inputs.layerSHA256s.forEach(field)
        rawValue = Data(hasher.finalize()).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public var description: String { rawValue }
}

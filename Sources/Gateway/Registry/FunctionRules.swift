import Foundation
import ShoalProtocol
import ShoalZip

/// What docs/api.md and AWS accept in a function's configuration. Each rule throws
/// InvalidParameterValueException with AWS's wording where AWS has one.
enum FunctionRules {
    static let runtimes: Set<String> = [
        "provided.al2023", "provided.al2",
        "python3.9", "python3.10", "python3.11", "python3.12", "python3.13",
        "nodejs18.x", "nodejs20.x", "nodejs22.x",
    ]

    static func name(_ name: String) throws(GatewayError) {
        guard (1...64).contains(name.utf8.count), name.utf8.allSatisfy(isNameByte) else {
            throw GatewayError(
                .invalidParameter,
                "1 validation error detected: Value '\(RPCError.echo(name))' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]{1,64}"
            )
        }
    }

    static func layerName(_ name: String) throws(GatewayError) {
        guard (1...140).contains(name.utf8.count), name.utf8.allSatisfy(isNameByte) else {
            throw GatewayError(.invalidParameter, "layerName must be 1-140 characters of [A-Za-z0-9_-]: \(RPCError.echo(name))")
        }
    }

    static func runtime(_ runtime: String) throws(GatewayError) {
        guard runtimes.contains(runtime) else {
            throw GatewayError(
                .invalidParameter,
                "Value \(RPCError.echo(runtime)) at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: \(runtimes.sorted())")
        }
    }

    static func handler(_ handler: String, runtime: String) throws(GatewayError) {
        guard (1...128).contains(handler.utf8.count), !handler.contains(where: \.isWhitespace) else {
            throw GatewayError(.invalidParameter, "handler must be 1-128 characters without spaces")
        }
        if runtime.hasPrefix("python") || runtime.hasPrefix("nodejs") {
            guard let dot = handler.lastIndex(of: "."), dot != handler.startIndex, handler.index(after: dot) != handler.endIndex else {
                throw GatewayError(.invalidParameter, "handler for \(runtime) must be file.function, not \(RPCError.echo(handler))")
            }
        }
    }

    static func architectures(_ architectures: [String]?) throws(GatewayError) {
        guard let architectures else { return }
        guard architectures.count == 1, ["x86_64", "arm64"].contains(architectures[0]) else {
            throw GatewayError(.invalidParameter, "architectures must hold exactly one of x86_64 and arm64")
        }
    }

    static func ephemeralStorage(_ size: Int?) throws(GatewayError) {
        guard let size else { return }
        guard (512...10_240).contains(size) else {
            throw GatewayError(.invalidParameter, "ephemeralStorage.size must be 512 to 10240 MB")
        }
    }

    /// AWS's tag limits: 50 a resource, keys of 1 to 128 characters, values up to 256.
    static func tags(_ tags: [String: String], adding existing: [String: String] = [:]) throws(GatewayError) {
        guard existing.merging(tags, uniquingKeysWith: { $1 }).count <= 50 else {
            throw GatewayError(.invalidParameter, "a function can have at most 50 tags")
        }
        for (key, value) in tags where !(1...128).contains(key.count) || value.count > 256 {
            throw GatewayError(.invalidParameter, "tag keys must be 1 to 128 characters and values at most 256: \(RPCError.echo(key))")
        }
    }

    static func timeout(_ timeout: Int) throws(GatewayError) {
        guard (1...900).contains(timeout) else {
            throw GatewayError(.invalidParameter, "timeout must be 1..900 seconds, not \(timeout)")
        }
    }

    static func memorySize(_ memory: Int) throws(GatewayError) {
        guard (128...10_240).contains(memory) else {
            throw GatewayError(.invalidParameter, "memorySize must be 128..10240 MB, not \(memory)")
        }
    }

    static func environment(_ variables: [String: String]) throws(GatewayError) {
        for key in variables.keys {
            guard let first = key.utf8.first, !(48...57).contains(first),
                key.utf8.allSatisfy({ isNameByte($0) && $0 != UInt8(ascii: "-") })
            else {
                throw GatewayError(
                    .invalidParameter, "environment variable names are letters, digits and _ and start with a letter: \(RPCError.echo(key))")
            }
        }
        let size = variables.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        guard size <= 4096 else {
            throw GatewayError(
                .invalidParameter,
                "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit."
            )
        }
    }

    /// Base64 of a zip, decoded; `ZipContent` checks what it holds.
    static func zip(_ base64: String) throws(GatewayError) -> [UInt8] {
        guard let data = Data(base64Encoded: base64) else {
            throw GatewayError(.invalidParameter, "zipFile is not valid base64")
        }
        return [UInt8](data)
    }

    /// A provided runtime runs the zip's `bootstrap`: without one, the function could never
    /// start, which is known at create time (interpreters are only known on the workers).
    static func entrypoint(_ tree: ZipTree, runtime: String) throws(GatewayError) {
        guard runtime.hasPrefix("provided") else { return }
        guard tree.paths.joined().contains("bootstrap") else {
            throw GatewayError(
                .invalidParameter, "Runtime.InvalidEntrypoint: a \(runtime) function needs an executable bootstrap at the root of its zip")
        }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 45 || byte == 95
    }
}

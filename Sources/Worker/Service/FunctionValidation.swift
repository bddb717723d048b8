import ShoalProtocol

/// The limits docs/api.md and AWS put on a function definition.
enum FunctionValidation {
    static func validate(_ function: FunctionDefinition) throws(WorkerError) {
        guard (1...64).contains(function.name.count),
            function.name.utf8.allSatisfy({ isNameByte($0) })
        else {
            throw WorkerError(.invalidParameter, "function name must be 1-64 characters of [A-Za-z0-9_-]: \(RPCError.echo(function.name))")
        }
        guard (1...900).contains(function.timeoutSeconds) else {
            throw WorkerError(.invalidParameter, "timeout must be 1..900 seconds, not \(function.timeoutSeconds)")
        }
        guard (128...10_240).contains(function.memoryMB) else {
            throw WorkerError(.invalidParameter, "memorySize must be 128..10240 MB, not \(function.memoryMB)")
        }
        guard function.packageType == "Image" ? function.imageURI != nil : function.codeSHA256 != nil else {
            throw WorkerError(.invalidParameter, "a Zip function needs codeSHA256, an Image function an imageURI")
        }
        for hash in (function.codeSHA256.map { [$0] } ?? []) + function.layerSHA256s where !ArtifactStore.isValidHash(hash) {
            throw WorkerError(.invalidParameter, "artifact hashes are 64 lowercase hex digits: \(RPCError.echo(hash))")
        }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 45 || byte == 95
    }
}

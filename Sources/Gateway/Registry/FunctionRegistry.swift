import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import ShoalProtocol

/// The durable function registry: configurations, layer versions and content-addressed code
/// blobs under one data directory.
///
/// Layout: `functions/NAME.json`, `versions/NAME.json` (published versions), `layers/NAME.json`,
/// `blobs/SHA256HEX`. Every file is
/// written whole with `AtomicFile` (temporary file, fsync, rename, directory fsync), blobs
/// before the records that refer to them, so a `kill -9` at any moment leaves either the old
/// or the new state and never a record whose code is missing. A call that returned has
/// reached the disk.
///
/// The actor keeps everything but the blobs in memory. A change is applied in memory before
/// its write is awaited (so a concurrent create of the same name sees it) and rolled back if
/// the write fails. Disk I/O runs on NIO's blocking thread pool.
package actor FunctionRegistry {
    package nonisolated let arns: ARNs
    private let directory: String
    private let threadPool: NIOThreadPool
    let logger: Logger
    /// The functions, each with its deploy id (a SHA-256, computed on first use after a
    /// change). Behind a lock rather than actor state so an invocation looks a function up
    /// without a hop onto this actor; only the actor writes it.
    nonisolated let functions = NIOLockedValueBox<[String: (record: FunctionRecord, deployID: String?)]>([:])
    /// Names whose create is being written: taken, but not yet visible.
    private var reserved: Set<String> = []
    private var layers: [String: LayerRecord] = [:]
    /// Published versions by function name; read without the actor, like `functions`.
    nonisolated let versions = NIOLockedValueBox<[String: VersionsRecord]>([:])
    /// Aliases by function name; read without the actor, like `functions`.
    nonisolated let aliases = NIOLockedValueBox<[String: AliasesRecord]>([:])

    package init(directory: String, arns: ARNs = ARNs(), threadPool: NIOThreadPool = .singleton, logger: Logger = Logger(label: "shoal.registry"))
        async throws
    {
        self.directory = directory
        self.arns = arns
        self.threadPool = threadPool
        self.logger = logger
        let (functions, layers, versions, aliases) = try await threadPool.runIfActive { try Self.load(directory, logger: logger) }
        self.layers = layers
        self.versions.withLockedValue { $0 = versions }
        self.aliases.withLockedValue { $0 = aliases }
        self.functions.withLockedValue { $0 = functions.mapValues { ($0, nil) } }
    }

    /// Changes a function in memory (nil removes it); its deploy id is computed again on use.
    private func setFunction(_ name: String, _ record: FunctionRecord?) {
        functions.withLockedValue { $0[name] = record.map { ($0, nil) } }
    }

    private static func load(_ directory: String, logger: Logger) throws -> (
        [String: FunctionRecord], [String: LayerRecord], [String: VersionsRecord], [String: AliasesRecord]
    ) {
        for sub in ["functions", "versions", "aliases", "layers", "blobs"] {
            try FileManager.default.createDirectory(atPath: "\(directory)/\(sub)", withIntermediateDirectories: true)
            AtomicFile.removeLeftovers(in: "\(directory)/\(sub)")
        }
        func records<T: Decodable>(_ sub: String, _ type: T.Type) -> [T] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/\(sub)")) ?? []
            return names.filter { $0.hasSuffix(".json") }.compactMap { name in
                do {
                    let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(sub)/\(name)"))
                    return try JSONDecoder().decode(T.self, from: data)
                } catch {
                    logger.error("unreadable registry record skipped", metadata: ["file": "\(sub)/\(name)", "error": "\(error)"])
                    return nil
                }
            }
        }
        let functions = records("functions", FunctionRecord.self)
        let layers = records("layers", LayerRecord.self)
        let versions = records("versions", VersionsRecord.self)
        let aliases = records("aliases", AliasesRecord.self)
        return (
            Dictionary(functions.map { ($0.name, $0) }) { $1 }, Dictionary(layers.map { ($0.name, $0) }) { $1 },
            Dictionary(versions.map { ($0.name, $0) }) { $1 }, Dictionary(aliases.map { ($0.name, $0) }) { $1 }
        )
    }

    // MARK: Functions

    package nonisolated func function(_ nameOrARN: String) throws(GatewayError) -> FunctionRecord {
        try routable(nameOrARN).record
    }

    /// The function and its current deploy id, for routing an invocation; callable from any
    /// task without waiting for the actor (the invoke path's hot lookup). Every function has
    /// only `$LATEST`: a reference with another qualifier is not found, as on AWS.
    package nonisolated func routable(_ nameOrARN: String) throws(GatewayError) -> (record: FunctionRecord, deployID: String) {
        let (name, qualifier) = ARNs.functionReference(nameOrARN)
        if let qualifier, qualifier != "$LATEST" {
            if let version = publishedVersion(name, qualifier) { return version }
            // An alias: the version this invocation runs, by the alias's weights.
            if let alias = aliases.withLockedValue({ $0[name]?.aliases.first { $0.name == qualifier } }) {
                let version = AliasRules.choose(primary: alias.functionVersion, weights: alias.weights, draw: Double.random(in: 0..<1))
                return try routable(version == "$LATEST" ? name : "\(name):\(version)")
            }
        }
        let found = qualifier == nil || qualifier == "$LATEST" ? functions.withLockedValue { $0[name] } : nil
        guard let (record, known) = found else {
            // A name no function could have is a bad parameter, not a missing function.
            try FunctionRules.name(name)
            throw GatewayError(.functionNotFound, "Function not found: \(arns.function(name))\(qualifier.map { ":" + RPCError.echo($0) } ?? "")")
        }
        if let known { return (record, known) }
        let id = record.definition.deployID.rawValue
        functions.withLockedValue { functions in
            if functions[name]?.record == record { functions[name] = (record, id) }
        }
        return (record, id)
    }

    /// All functions, sorted by name.
    package nonisolated var allFunctions: [FunctionRecord] {
        functions.withLockedValue { $0.values.map(\.record) }.sorted { $0.name < $1.name }
    }

    package func create(_ params: ClientAPI.CreateFunction.Params) async throws -> FunctionRecord {
        // A qualifier has no place in a new function's name: the whole text fails the rule.
        let (name, qualifier) = ARNs.functionReference(params.functionName)
        try FunctionRules.name(qualifier == nil ? name : params.functionName)
        let packageType = params.packageType ?? (params.code.imageUri != nil && params.code.zipFile == nil ? "Image" : "Zip")
        guard ["Zip", "Image"].contains(packageType) else {
            throw GatewayError(.invalidParameter, "packageType must be Zip or Image")
        }
        var record = FunctionRecord(
            name: name, runtime: params.runtime ?? "", handler: params.handler ?? "", codeSHA256: nil, codeSize: 0,
            timeout: params.timeout ?? 3, memorySize: params.memorySize ?? 128,
            environment: params.environment?.variables ?? [:], layers: try resolveLayers(params.layers ?? []),
            packageType: packageType, imageUri: nil, description: params.description, lastModified: FunctionRecord.timestamp(),
            role: params.role, tags: params.tags, architectures: params.architectures, ephemeralStorage: params.ephemeralStorage?.size
        )
        try FunctionRules.architectures(params.architectures)
        try FunctionRules.tags(params.tags ?? [:])
        try FunctionRules.ephemeralStorage(params.ephemeralStorage?.size)
        var code: [UInt8]?
        if packageType == "Zip" {
            guard let zip = params.code.zipFile else { throw GatewayError(.invalidParameter, "a Zip function needs code.zipFile") }
            guard let runtime = params.runtime, let handler = params.handler else {
                throw GatewayError(.invalidParameter, "runtime and handler are required for a Zip function")
            }
            try FunctionRules.runtime(runtime)
            try FunctionRules.handler(handler, runtime: runtime)
            code = try FunctionRules.zip(zip)
            try await checkContent(code!, runtime: runtime)
        } else {
            guard let image = params.code.imageUri, !image.isEmpty else {
                throw GatewayError(.invalidParameter, "an Image function needs code.imageUri")
            }
            record.imageUri = image
            record.imageConfig = Self.overrides(params.imageConfig)
        }
        try FunctionRules.timeout(record.timeout)
        try FunctionRules.memorySize(record.memorySize)
        try FunctionRules.environment(record.environment)
        guard !reserved.contains(name), functions.withLockedValue({ $0[name] }) == nil else {
            throw GatewayError(.functionExists, "Function already exist: \(name)")
        }
        reserved.insert(name)  // taken, but invisible, until the record is durable
        defer { reserved.remove(name) }
        if let code {
            record.codeSHA256 = try await storeBlob(code)
            record.codeSize = code.count
        }
        record.revisionId = UUID().uuidString.lowercased()
        try await persist(record)
        setFunction(name, record)
        logger.info("function created", metadata: ["function": "\(name)", "runtime": "\(record.runtime)"])
        return record
    }

    package func updateCode(_ params: ClientAPI.UpdateFunctionCode.Params) async throws -> FunctionRecord {
        var record = try function(params.functionName)
        let code = try FunctionRules.zip(params.zipFile)
        try await checkContent(code, runtime: record.runtime)
        record.codeSHA256 = try await storeBlob(code)
        record.codeSize = code.count
        record.lastModified = FunctionRecord.timestamp()
        return try await replace(record)
    }

    package func updateConfiguration(_ params: ClientAPI.UpdateFunctionConfiguration.Params) async throws -> FunctionRecord {
        var record = try function(params.functionName)
        if let runtime = params.runtime {
            try FunctionRules.runtime(runtime)
            record.runtime = runtime
        }
        if let handler = params.handler { record.handler = handler }
        if params.handler != nil || params.runtime != nil { try FunctionRules.handler(record.handler, runtime: record.runtime) }
        if let timeout = params.timeout {
            try FunctionRules.timeout(timeout)
            record.timeout = timeout
        }
        if let memory = params.memorySize {
            try FunctionRules.memorySize(memory)
            record.memorySize = memory
        }
        if let environment = params.environment {
            try FunctionRules.environment(environment.variables)
            record.environment = environment.variables
        }
        if let layers = params.layers { record.layers = try resolveLayers(layers) }
        if let description = params.description { record.description = description }
        if let role = params.role { record.role = role }
        if let storage = params.ephemeralStorage {
            try FunctionRules.ephemeralStorage(storage.size)
            record.ephemeralStorage = storage.size
        }
        if let overrides = params.imageConfig {
            guard record.packageType == "Image" else { throw GatewayError(.invalidParameter, "ImageConfig applies to Image functions only") }
            record.imageConfig = Self.overrides(overrides)
        }
        record.lastModified = FunctionRecord.timestamp()
        return try await replace(record)
    }

    /// The overrides as the worker takes them; all-empty is none.
    static func overrides(_ config: FunctionConfiguration.ImageConfig?) -> FunctionConfiguration.ImageConfig? {
        guard let config, config.entryPoint != nil || config.command != nil || config.workingDirectory != nil else { return nil }
        return config
    }

    /// The account's concurrency, as AWS's defaults: 1,000, of which reservations may take all
    /// but 100.
    package static let accountConcurrency = 1_000
    package static let minimumUnreserved = 100

    /// Sets (or with nil removes) the function's reserved concurrency.
    package func setReservedConcurrency(_ nameOrARN: String, _ reserved: Int?) async throws -> FunctionRecord {
        var record = try function(nameOrARN)
        if let reserved {
            guard reserved >= 0 else {
                throw GatewayError(.invalidParameter, "reservedConcurrentExecutions must be 0 or more")
            }
            let others = allFunctions.filter { $0.name != record.name }.reduce(0) { $0 + ($1.reservedConcurrency ?? 0) }
            guard others + reserved <= Self.accountConcurrency - Self.minimumUnreserved else {
                throw GatewayError(
                    .invalidParameter,
                    "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [\(Self.minimumUnreserved)]."
                )
            }
        }
        record.reservedConcurrency = reserved
        return try await replace(record)
    }

    /// Adds a statement to the function's resource policy; a statement id it has is 409.
    package func addPermission(_ nameOrARN: String, _ statement: FunctionRecord.PolicyStatement) async throws -> FunctionRecord {
        var record = try function(nameOrARN)
        guard !(record.policy ?? []).contains(where: { $0.sid == statement.sid }) else {
            throw GatewayError(
                .conflict,
                "The statement id (\(RPCError.echo(statement.sid))) provided already exists. Please provide a new statement id, or remove the existing statement."
            )
        }
        record.policy = (record.policy ?? []) + [statement]
        return try await replace(record)
    }

    /// Removes a statement from the function's resource policy.
    package func removePermission(_ nameOrARN: String, sid: String) async throws {
        var record = try function(nameOrARN)
        guard let policy = record.policy, !policy.isEmpty else {
            throw GatewayError(.functionNotFound, "No policy is associated with the given resource.")
        }
        guard policy.contains(where: { $0.sid == sid }) else {
            throw GatewayError(.functionNotFound, "Statement \(RPCError.echo(sid)) is not found in resource policy.")
        }
        record.policy = policy.filter { $0.sid != sid }
        _ = try await replace(record)
    }

    /// Adds `tags` to the function's, replacing values of keys it has.
    package func tag(_ nameOrARN: String, _ tags: [String: String]) async throws {
        var record = try function(nameOrARN)
        try FunctionRules.tags(tags, adding: record.tags ?? [:])
        record.tags = (record.tags ?? [:]).merging(tags) { $1 }
        _ = try await replace(record)
    }

    /// Removes the tags with `keys`; a key the function does not have is no error.
    package func untag(_ nameOrARN: String, _ keys: [String]) async throws {
        var record = try function(nameOrARN)
        for key in keys { record.tags?[key] = nil }
        _ = try await replace(record)
    }

    /// Writes a changed record; the in-memory one is replaced only once it is durable, and
    /// only if the function was not deleted meanwhile.
    func replace(_ record: FunctionRecord) async throws -> FunctionRecord {
        var record = record
        record.revisionId = UUID().uuidString.lowercased()
        try await persist(record)
        guard functions.withLockedValue({ $0[record.name] }) != nil else {
            try? await remove("functions/\(record.name).json")
            throw GatewayError(.functionNotFound, "Function not found: \(arns.function(record.name))")
        }
        setFunction(record.name, record)
        return record
    }

    package func delete(_ nameOrARN: String) async throws {
        let record = try function(nameOrARN)
        if let version = record.version {
            try await deleteVersion(record.name, version)
            return
        }
        setFunction(record.name, nil)
        do {
            try await remove("functions/\(record.name).json")
        } catch {
            setFunction(record.name, record)
            throw error
        }
        let versions = versions.withLockedValue { $0.removeValue(forKey: record.name) }
        if versions != nil { try? await remove("versions/\(record.name).json") }
        let aliases = aliases.withLockedValue { $0.removeValue(forKey: record.name) }
        if aliases != nil { try? await remove("aliases/\(record.name).json") }
        logger.info("function deleted", metadata: ["function": "\(record.name)"])
    }

    /// A page of functions in name order, starting after `marker`.
    package func list(marker: String?, maxItems: Int) -> (functions: [FunctionRecord], nextMarker: String?) {
        let sorted = allFunctions.filter { marker == nil || $0.name > marker! }
        let page = Array(sorted.prefix(maxItems))
        return (page, sorted.count > page.count ? page.last?.name : nil)
    }

    // MARK: Layers

    package func publishLayer(_ params: ClientAPI.PublishLayer.Params) async throws -> ClientAPI.PublishLayer.Result {
        try FunctionRules.layerName(params.layerName)
        let code = try FunctionRules.zip(params.zipFile)
        try await checkContent(code, runtime: nil)
        let sha256 = try await storeBlob(code)
        let previous = layers[params.layerName]
        var record = previous ?? LayerRecord(name: params.layerName, versions: [])
        let version = max(record.latestPublished ?? 0, record.versions.last?.version ?? 0) + 1
        record.versions.append(
            .init(
                version: version, sha256: sha256, codeSize: code.count, compatibleRuntimes: params.compatibleRuntimes ?? [],
                description: params.description, compatibleArchitectures: params.compatibleArchitectures, licenseInfo: params.licenseInfo,
                createdDate: FunctionRecord.timestamp()))
        record.latestPublished = version
        layers[params.layerName] = record
        do {
            try await write(record, to: "layers/\(record.name).json")
        } catch {
            layers[params.layerName] = previous
            throw error
        }
        return .init(
            layerArn: arns.layer(record.name), layerVersionArn: arns.layerVersion(record.name, version), version: version,
            codeSha256: FunctionRecord.base64OfHex(sha256), codeSize: code.count
        )
    }

    /// One version of a layer.
    package func layerVersion(_ name: String, _ version: Int) throws(GatewayError) -> LayerRecord.Version {
        guard let found = layers[name]?.versions.first(where: { $0.version == version }) else {
            throw GatewayError(.layerNotFound, "The resource you requested does not exist.")
        }
        return found
    }

    /// Every layer that has a version, by name.
    package var allLayers: [LayerRecord] {
        layers.values.filter { !$0.versions.isEmpty }.sorted { $0.name < $1.name }
    }

    /// Deletes one version; a version that is not there is no error (as AWS). Its number is
    /// never given again.
    package func deleteLayerVersion(_ name: String, _ version: Int) async throws {
        guard var record = layers[name], let index = record.versions.firstIndex(where: { $0.version == version }) else { return }
        let previous = record
        record.versions.remove(at: index)
        record.latestPublished = max(record.latestPublished ?? 0, version)
        layers[name] = record
        do {
            try await write(record, to: "layers/\(record.name).json")
        } catch {
            layers[name] = previous
            throw error
        }
    }

    private func resolveLayers(_ arns: [String]) throws(GatewayError) -> [FunctionRecord.LayerReference] {
        guard arns.count <= 5 else { throw GatewayError(.invalidParameter, "a function can use at most 5 layers") }
        return try arns.map { arn throws(GatewayError) in
            guard let (name, version) = ARNs.layerVersion(from: arn) else {
                throw GatewayError(.invalidParameter, "not a layer version ARN: \(RPCError.echo(arn))")
            }
            guard let found = layers[name]?.versions.first(where: { $0.version == version }) else {
                throw GatewayError(.layerNotFound, "Layer version \(RPCError.echo(arn)) does not exist.")
            }
            return .init(arn: arn, sha256: found.sha256, codeSize: found.codeSize)
        }
    }

    // MARK: Blobs and files

    /// Checks the upload whole on the thread pool (`ZipContent`): a damaged, unsafe or
    /// oversized zip is refused at create, as Lambda refuses it, not at the first invoke.
    /// `runtime` is the function's (nil for a layer).
    private func checkContent(_ code: [UInt8], runtime: String?) async throws {
        let tree = try await threadPool.runIfActive { try ZipContent.verify(code) }
        if let runtime { try FunctionRules.entrypoint(tree, runtime: runtime) }
    }

    /// The bytes of a blob by hex SHA-256.
    package func blob(_ sha256: String) async throws -> [UInt8] {
        let path = "\(directory)/blobs/\(sha256)"
        return try await threadPool.runIfActive {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw GatewayError(.storage, "blob \(sha256) is missing from the registry")
            }
            return [UInt8](data)
        }
    }

    private func storeBlob(_ bytes: [UInt8]) async throws -> String {
        let sha256 = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let path = "\(directory)/blobs/\(sha256)"
        try await threadPool.runIfActive {
            guard !FileManager.default.fileExists(atPath: path) else { return }
            try AtomicFile.write(bytes, to: path)
        }
        return sha256
    }

    private func persist(_ record: FunctionRecord) async throws {
        try await write(record, to: "functions/\(record.name).json")
    }

    /// Writes a function's aliases: in memory first, rolled back if the write fails.
    func writeAliases(_ record: AliasesRecord, replacing previous: AliasesRecord?) async throws {
        try await writeKept(record, named: record.name, in: aliases, replacing: previous, under: "aliases")
    }

    /// Writes a function's published versions: in memory first, rolled back if the write fails.
    func writeVersions(_ record: VersionsRecord, replacing previous: VersionsRecord?) async throws {
        try await writeKept(record, named: record.name, in: versions, replacing: previous, under: "versions")
    }

    private func writeKept<T: Codable & Sendable>(
        _ record: T, named name: String, in box: NIOLockedValueBox<[String: T]>, replacing previous: T?, under directory: String
    ) async throws {
        box.withLockedValue { $0[name] = record }
        do {
            try await write(record, to: "\(directory)/\(name).json")
        } catch {
            box.withLockedValue { $0[name] = previous }
            throw error
        }
    }

    private func write(_ value: some Encodable & Sendable, to relativePath: String) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(value)
        let path = "\(directory)/\(relativePath)"
        try await threadPool.runIfActive { try AtomicFile.write(data, to: path) }
    }

    private func remove(_ relativePath: String) async throws {
        let path = "\(directory)/\(relativePath)"
        try await threadPool.runIfActive { try AtomicFile.remove(path) }
    }
}

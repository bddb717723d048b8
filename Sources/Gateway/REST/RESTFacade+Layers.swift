import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import ShoalProtocol

extension RESTFacade {
    func addLayerRoutes(to router: Router<RESTRequestContext>) {
        router.post("/2018-10-31/layers/:layer/versions") { request, context in try await publishLayer(request, context) }
        router.get("/2018-10-31/layers/:layer/versions/:version") { request, context in
            let (name, version) = try Self.layerVersion(context)
            return Response.json(Self.serialize(layerVersion(name, try await registry.layerVersion(name, version), request)))
        }
        router.get("/2018-10-31/layers") { request, _ in try await listLayersOrFind(request) }
        router.get("/2018-10-31/layers/:layer/versions") { request, context in try await listLayerVersions(request, context) }
        router.delete("/2018-10-31/layers/:layer/versions/:version") { _, context in
            let (name, version) = try Self.layerVersion(context)
            try await registry.deleteLayerVersion(name, version)
            return Response.empty(204)
        }
        router.get("/_shoal/layers/:layer/:version") { _, context in
            let (name, version) = try Self.layerVersion(context)
            let zip = try await registry.blob(try await registry.layerVersion(name, version).sha256)
            return Response(status: .ok, headers: [.contentType: "application/zip"], body: .init(byteBuffer: ByteBuffer(bytes: zip)))
        }
    }

    /// PublishLayerVersion's members the JSON-RPC parameters spell differently.
    private struct PublishBody: Decodable {
        struct Content: Decodable { var zipFile: String? }
        var content: Content
        var description: String?
        var compatibleRuntimes: [String]?
        var compatibleArchitectures: [String]?
        var licenseInfo: String?
    }

    private func publishLayer(_ request: Request, _ context: RESTRequestContext) async throws -> Response {
        let name = try Self.layerName(try Self.label(context, "layer"))
        let body = try AWSJSONKeys.decode(PublishBody.self, from: try await body(request, context))
        guard let zip = body.content.zipFile else {
            throw RESTError("InvalidParameterValueException", status: 400, "Content.ZipFile is required (S3 locations are not supported)")
        }
        let published = try await registry.publishLayer(
            .init(
                layerName: name, zipFile: zip, compatibleRuntimes: body.compatibleRuntimes,
                compatibleArchitectures: body.compatibleArchitectures, description: body.description, licenseInfo: body.licenseInfo))
        let version = try await registry.layerVersion(name, published.version)
        return .json(Self.serialize(layerVersion(name, version, request)), status: 201)
    }

    private func listLayersOrFind(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        if query["find"] == "LayerVersion" {
            let arn = query["Arn"].map(String.init) ?? ""
            guard let (name, version) = ARNs.layerVersion(from: arn) else {
                throw RESTError.validation(
                    arn, member: "arn", constraint: "Member must satisfy regular expression pattern: arn:...:layer:NAME:VERSION")
            }
            return .json(Self.serialize(layerVersion(name, try await registry.layerVersion(name, version), request)))
        }
        let runtime = query["CompatibleRuntime"].map(String.init)
        let architecture = query["CompatibleArchitecture"].map(String.init)
        let items: [[String: Any]] = await registry.allLayers.compactMap { record in
            guard let latest = record.versions.last(where: { Self.matches($0, runtime: runtime, architecture: architecture) }) else { return nil }
            return [
                "LayerName": record.name, "LayerArn": arns(request).layer(record.name),
                "LatestMatchingVersion": listItem(record.name, latest, request),
            ]
        }
        return .json(Self.serialize(try Self.page(items, key: "Layers", query: query)))
    }

    private func listLayerVersions(_ request: Request, _ context: RESTRequestContext) async throws -> Response {
        let name = try Self.layerName(try Self.label(context, "layer"))
        let query = request.uri.queryParameters
        let runtime = query["CompatibleRuntime"].map(String.init)
        let architecture = query["CompatibleArchitecture"].map(String.init)
        let versions = await registry.allLayers.first { $0.name == name }?.versions ?? []
        let items = versions.reversed().filter { Self.matches($0, runtime: runtime, architecture: architecture) }.map {
            listItem(name, $0, request)
        }
        return .json(Self.serialize(try Self.page(items, key: "LayerVersions", query: query)))
    }

    private static func matches(_ version: LayerRecord.Version, runtime: String?, architecture: String?) -> Bool {
        (runtime.map { version.compatibleRuntimes.contains($0) } ?? true)
            && (architecture.map { (version.compatibleArchitectures ?? []).contains($0) } ?? true)
    }

    /// A page of `items` after `Marker` (an index), at most `MaxItems` (1 to 50).
    private static func page(_ items: [[String: Any]], key: String, query: FlatDictionary<Substring, Substring>) throws -> [String: Any] {
        let start = query["Marker"].flatMap { Int($0) } ?? 0
        var size = 50
        if let text = query["MaxItems"] {
            guard let value = Int(text), (1...50).contains(value) else {
                throw RESTError.validation(String(text), member: "maxItems", constraint: "Member must have value between 1 and 50")
            }
            size = value
        }
        let slice = Array(items.dropFirst(start).prefix(size))
        var document: [String: Any] = [key: slice]
        if start + slice.count < items.count { document["NextMarker"] = String(start + slice.count) }
        return document
    }

    private func arns(_ request: Request) -> ARNs {
        ARNs(region: Self.region(request, default: defaultRegion), account: registry.arns.account)
    }

    /// A version as ListLayerVersions and ListLayers show it.
    private func listItem(_ name: String, _ version: LayerRecord.Version, _ request: Request) -> [String: Any] {
        var item: [String: Any] = [
            "LayerVersionArn": arns(request).layerVersion(name, version.version), "Version": version.version,
            "Description": version.description ?? "", "CreatedDate": version.createdDate ?? "",
            "CompatibleRuntimes": version.compatibleRuntimes, "CompatibleArchitectures": version.compatibleArchitectures ?? [],
        ]
        if let license = version.licenseInfo { item["LicenseInfo"] = license }
        return item
    }

    /// A version as PublishLayerVersion and GetLayerVersion answer it.
    private func layerVersion(_ name: String, _ version: LayerRecord.Version, _ request: Request) -> [String: Any] {
        var document = listItem(name, version, request)
        let host = request.head.authority ?? "127.0.0.1"
        document["LayerArn"] = arns(request).layer(name)
        document["Content"] = [
            "Location": "http://\(host)/_shoal/layers/\(name)/\(version.version)",
            "CodeSha256": FunctionRecord.base64OfHex(version.sha256), "CodeSize": version.codeSize,
        ]
        return document
    }

    /// A layer name, or the name in a layer ARN.
    private static func layerName(_ text: String) throws -> String {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 7, parts[0] == "arn", parts[5] == "layer" { return String(parts[6]) }
        return text
    }

    private static func layerVersion(_ context: RESTRequestContext) throws -> (String, Int) {
        let name = try layerName(try label(context, "layer"))
        let text = try label(context, "version")
        guard let version = Int(text) else {
            throw RESTError.validation(text, member: "versionNumber", constraint: "Member must be a number")
        }
        guard version >= 1 else { throw RESTError("InvalidParameterValueException", status: 400, "Layer Version Cannot be less than 1") }
        return (name, version)
    }
}

import Foundation
import Hummingbird
import NIOCore
import ShoalProtocol

/// The AWS Lambda REST API (the paths, shapes and errors boto3 and the AWS CLI speak) over the
/// gateway service the JSON-RPC API uses: each operation translates its request into the
/// service's parameters and its result back, so both APIs share one registry, one router and
/// one set of rules. docs/rest-api.md lists what is served.
struct RESTFacade: Sendable {
    let service: GatewayService
    /// The region ARNs carry when a request names none in its credential scope.
    let defaultRegion: String

    var registry: FunctionRegistry { service.registry }

    func addRoutes(to router: Router<RESTRequestContext>) {
        router.post("/2015-03-31/functions") { request, context in try await create(request, context) }
        router.get("/2015-03-31/functions") { request, _ in try await list(request) }
        router.get("/2015-03-31/functions/:name") { request, context in try getFunction(request, context) }
        router.get("/2015-03-31/functions/:name/configuration") { request, context in
            let (reference, region) = try functionReference(request, context)
            return Response.json(render(try service.function(reference), region: region))
        }
        router.put("/2015-03-31/functions/:name/code") { request, context in try await updateCode(request, context) }
        router.put("/2015-03-31/functions/:name/configuration") { request, context in try await updateConfiguration(request, context) }
        router.delete("/2015-03-31/functions/:name") { request, context in try await delete(request, context) }
        router.post("/2015-03-31/functions/:name/invocations") { request, context in try await invoke(request, context) }
        router.post("/2014-11-13/functions/:name/invoke-async") { request, context in try await invokeAsync(request, context) }
        router.post("/2021-11-15/functions/:name/response-streaming-invocations") { request, context in
            try await invokeStream(request, context)
        }
        router.post("/2015-03-31/functions/:name/versions") { request, context in try await publishVersion(request, context) }
        router.get("/2015-03-31/functions/:name/versions") { request, context in
            let (reference, region) = try functionReference(request, context)
            let query = request.uri.queryParameters
            let page = try service.listVersions(
                .init(
                    functionName: reference, marker: query["Marker"].map(String.init),
                    maxItems: query["MaxItems"].flatMap { Int($0) }.map { min($0, 50) }))
            var document: [String: Any] = ["Versions": page.versions.map { tree($0, region: region, omitting: Self.listOmits) }]
            if let next = page.nextMarker { document["NextMarker"] = next }
            return Response.json(Self.serialize(document))
        }
        router.get("/_shoal/code/:name") { _, context in try await code(context) }
        addLayerRoutes(to: router)
        addTagRoutes(to: router)
        addConcurrencyRoutes(to: router)
        addPolicyRoutes(to: router)
        addAliasRoutes(to: router)
        addURLRoutes(to: router)
    }

    // MARK: Functions

    private func create(_ request: Request, _ context: RESTRequestContext) async throws -> Response {
        let region = Self.region(request, default: defaultRegion)
        var params = try AWSJSONKeys.decode(ClientAPI.CreateFunction.Params.self, from: try await body(request, context))
        params.functionName = try RESTFunctionReference.resolve(params.functionName, qualifier: nil, region: region)
        var configuration = try await service.create(params)
        // As AWS: the answer to a create says Pending; the function is Active as soon as a
        // read can see it (its code is durable before the create returns).
        configuration.state = "Pending"
        configuration.stateReason = "The function is being created."
        configuration.stateReasonCode = "Creating"
        return .json(render(configuration, region: region, omitting: ["LastUpdateStatus"]), status: 201)
    }

    private func getFunction(_ request: Request, _ context: RESTRequestContext) throws -> Response {
        let (reference, region) = try functionReference(request, context)
        let configuration = try service.function(reference)
        let record = try registry.function(reference)
        var code: [String: Any]
        if let image = record.imageUri {
            code = ["RepositoryType": "ECR", "ImageUri": image, "ResolvedImageUri": image]
        } else {
            let host = request.head.authority ?? "127.0.0.1"
            code = ["RepositoryType": "S3", "Location": "http://\(host)/_shoal/code/\(record.name)"]
        }
        var document: [String: Any] = ["Configuration": tree(configuration, region: region), "Code": code]
        if let tags = record.tags, !tags.isEmpty { document["Tags"] = tags }
        if let reserved = record.reservedConcurrency { document["Concurrency"] = ["ReservedConcurrentExecutions": reserved] }
        return .json(Self.serialize(document))
    }

    private func list(_ request: Request) async throws -> Response {
        let region = Self.region(request, default: defaultRegion)
        let query = request.uri.queryParameters
        var maxItems: Int?
        if let text = query["MaxItems"] {
            guard let value = Int(text), (1...10_000).contains(value) else {
                throw RESTError.validation(String(text), member: "maxItems", constraint: "Member must have value between 1 and 10000")
            }
            maxItems = min(value, 50)
        }
        let page = try await service.list(.init(marker: query["Marker"].map(String.init), maxItems: maxItems))
        var document: [String: Any] = ["Functions": page.functions.map { tree($0, region: region, omitting: Self.listOmits) }]
        if let next = page.nextMarker { document["NextMarker"] = next }
        return .json(Self.serialize(document))
    }

    /// ListFunctions shows no state, as AWS.
    private static let listOmits: Set = ["State", "StateReason", "StateReasonCode", "LastUpdateStatus"]

    private func updateCode(_ request: Request, _ context: RESTRequestContext) async throws -> Response {
        let (reference, region) = try functionReference(request, context)
        let body = try await body(request, context)
        let update = try AWSJSONKeys.decode(CodeUpdate.self, from: body)
        let record = try registry.function(reference)
        try checkRevision(update.revisionId, of: reference)
        if record.packageType == "Zip", update.imageUri != nil {
            throw RESTError(
                "InvalidParameterValueException", status: 400, "Please don't provide ImageUri when updating a function with packageType Zip.")
        }
        guard let zip = update.zipFile else {
            throw RESTError(
                "InvalidParameterValueException", status: 400,
                record.packageType == "Image" ? "Please provide ImageUri when updating a function with packageType Image." : "ZipFile is required")
        }
        let configuration = try await service.updateCode(.init(functionName: reference, zipFile: zip))
        guard update.publish == true else { return .json(render(Self.inProgress(configuration), region: region)) }
        return .json(render(try await service.publishVersion(.init(functionName: reference)), region: region))
    }

    private func updateConfiguration(_ request: Request, _ context: RESTRequestContext) async throws -> Response {
        let (reference, region) = try functionReference(request, context)
        let body = try await body(request, context)
        let params = try AWSJSONKeys.decode(ClientAPI.UpdateFunctionConfiguration.Params.self, from: body, adding: ["functionName": reference])
        try checkRevision(try AWSJSONKeys.decode(CodeUpdate.self, from: body).revisionId, of: reference)
        let configuration = try await service.updateConfiguration(params)
        return .json(render(Self.inProgress(configuration), region: region))
    }

    /// PublishVersion: 201 with the version's configuration (the last one if nothing changed).
    private func publishVersion(_ request: Request, _ context: RESTRequestContext) async throws -> Response {
        let (reference, region) = try functionReference(request, context)
        let body = try AWSJSONKeys.decode(PublishBody.self, from: try await body(request, context))
        try checkRevision(body.revisionId, of: reference)
        let published = try await service.publishVersion(.init(functionName: reference, codeSha256: body.codeSha256, description: body.description))
        return .json(render(published, region: region), status: 201)
    }

    /// PublishVersion's body.
    private struct PublishBody: Decodable {
        var codeSha256: String?
        var description: String?
        var revisionId: String?
    }

    /// An update's answer says InProgress, as AWS's; a read right after sees Successful.
    private static func inProgress(_ configuration: FunctionConfiguration) -> FunctionConfiguration {
        var configuration = configuration
        configuration.lastUpdateStatus = "InProgress"
        configuration.lastUpdateStatusReason = "The function is being updated."
        configuration.lastUpdateStatusReasonCode = "Creating"
        return configuration
    }

    /// A stale `RevisionId` is AWS's 412.
    func checkRevision(_ revision: String?, of reference: String) throws {
        guard let revision, let current = try registry.function(reference).revisionId, revision != current else { return }
        throw RESTError.staleRevision
    }

    private func delete(_ request: Request, _ context: RESTRequestContext) async throws -> Response {
        let (reference, _) = try functionReference(request, context)
        if ARNs.functionReference(reference).qualifier == "$LATEST" {
            throw RESTError("InvalidParameterValueException", status: 400, "$LATEST version cannot be deleted without deleting the function.")
        }
        _ = try await service.delete(reference)
        return .empty(204)
    }

    /// The stored zip, where GetFunction's `Code.Location` points.
    private func code(_ context: RESTRequestContext) async throws -> Response {
        let name = try Self.label(context, "name")
        let record = try registry.function(name)
        guard let sha = record.codeSHA256 else {
            throw RESTError("ResourceNotFoundException", status: 404, "The resource you requested does not exist.")
        }
        let zip = try await registry.blob(sha)
        return Response(status: .ok, headers: [.contentType: "application/zip"], body: .init(byteBuffer: ByteBuffer(bytes: zip)))
    }

    /// The members of UpdateFunctionCode the JSON-RPC parameters do not carry.
    private struct CodeUpdate: Decodable {
        var zipFile: String?
        var imageUri: String?
        var publish: Bool?
        var revisionId: String?
    }

    // MARK: Requests and answers

    /// The function a path names, checked, and the request's region.
    func functionReference(_ request: Request, _ context: RESTRequestContext) throws -> (reference: String, region: String) {
        let region = Self.region(request, default: defaultRegion)
        let qualifier = request.uri.queryParameters["Qualifier"].map(String.init)
        return (try RESTFunctionReference.resolve(try Self.label(context, "name"), qualifier: qualifier, region: region), region)
    }

    /// A path label, percent-decoded (AWS SDKs encode `:` in names and ARNs).
    static func label(_ context: RESTRequestContext, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name) else { throw RESTError.validation("", member: name, constraint: "Member must not be null") }
        return try decoded(raw, member: name)
    }

    /// A raw path label, percent-decoded.
    static func decoded(_ raw: some StringProtocol, member: String = "functionName") throws -> String {
        let raw = String(raw)
        // Foundation's decoding goes through CFString: only labels that have escapes pay for it.
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return raw }
        guard let decoded = raw.removingPercentEncoding else {
            throw RESTError.validation(raw, member: member, constraint: "Member must be valid percent-encoding")
        }
        return decoded
    }

    static func region(_ request: Request, default region: String) -> String {
        RESTFunctionReference.region(authorization: request.headers[.authorization]) ?? region
    }

    func body(_ request: Request, _ context: RESTRequestContext) async throws -> [UInt8] {
        Array(buffer: try await request.body.collect(upTo: context.maxUploadSize))
    }

    /// A configuration as AWS spells it, its ARNs in the request's region.
    func render(_ configuration: FunctionConfiguration, region: String, omitting: Set<String> = []) -> [UInt8] {
        Self.serialize(tree(configuration, region: region, omitting: omitting))
    }

    private func tree(_ configuration: FunctionConfiguration, region: String, omitting: Set<String> = []) -> [String: Any] {
        let encoded = AWSJSONKeys.encode(configuration)
        guard var object = (try? JSONSerialization.jsonObject(with: Data(encoded))) as? [String: Any] else { return [:] }
        for key in omitting { object[key] = nil }
        object["ImageUri"] = nil  // GetFunction's Code carries it
        if (object["Environment"] as? [String: Any])?["Variables"].map({ ($0 as? [String: String])?.isEmpty ?? true }) ?? true {
            object["Environment"] = nil
        }
        if (object["Layers"] as? [Any])?.isEmpty ?? false { object["Layers"] = nil }
        if object["Description"] == nil { object["Description"] = "" }
        let home = "arn:aws:lambda:\(registry.arns.region):"
        if region != registry.arns.region {
            return Self.rewritingARNs(object, from: home, to: "arn:aws:lambda:\(region):") as? [String: Any] ?? object
        }
        return object
    }

    private static func rewritingARNs(_ json: Any, from: String, to: String) -> Any {
        switch json {
        case let text as String where text.hasPrefix(from): to + text.dropFirst(from.count)
        case let object as [String: Any]: object.mapValues { rewritingARNs($0, from: from, to: to) }
        case let array as [Any]: array.map { rewritingARNs($0, from: from, to: to) }
        default: json
        }
    }

    static func serialize(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data("{}".utf8))
    }
}

import Foundation
import Hummingbird
import ShoalProtocol

extension RESTFacade {
    func addAliasRoutes(to router: Router<RESTRequestContext>) {
        router.post("/2015-03-31/functions/:name/aliases") { request, context in
            let (reference, region) = try functionReference(request, context)
            var params = try AWSJSONKeys.decode(
                ClientAPI.AliasParams.self, from: try await body(request, context), adding: ["functionName": reference])
            params.functionName = reference
            return Response.json(aliasBody(try await service.createAlias(params), region: region), status: 201)
        }
        router.get("/2015-03-31/functions/:name/aliases") { request, context in
            let (reference, region) = try functionReference(request, context)
            let aliases = try service.aliases(reference, version: request.uri.queryParameters["FunctionVersion"].map(String.init))
            let items = aliases.map { (try? JSONSerialization.jsonObject(with: Data(aliasBody($0, region: region)))) ?? [:] }
            return Response.json(Self.serialize(["Aliases": items]))
        }
        router.get("/2015-03-31/functions/:name/aliases/:alias") { request, context in
            let (reference, region) = try functionReference(request, context)
            return Response.json(aliasBody(try service.alias(reference, try Self.label(context, "alias")), region: region))
        }
        router.put("/2015-03-31/functions/:name/aliases/:alias") { request, context in
            let (reference, region) = try functionReference(request, context)
            let name = try Self.label(context, "alias")
            let body = try await body(request, context)
            var params = try AWSJSONKeys.decode(ClientAPI.AliasParams.self, from: body, adding: ["functionName": reference, "name": name])
            params.functionName = reference
            params.name = name
            if let revision = try AWSJSONKeys.decode(Revision.self, from: body).revisionId,
                revision != (try service.alias(reference, name)).revisionId
            {
                throw RESTError.staleRevision
            }
            return Response.json(aliasBody(try await service.updateAlias(params), region: region))
        }
        router.delete("/2015-03-31/functions/:name/aliases/:alias") { request, context in
            let (reference, _) = try functionReference(request, context)
            try await registry.deleteAlias(reference, try Self.label(context, "alias"))
            return Response.empty(204)
        }
    }

    private struct Revision: Decodable { var revisionId: String? }

    /// An alias as AWS spells it, its ARN in the request's region.
    private func aliasBody(_ alias: ClientAPI.AliasConfiguration, region: String) -> [UInt8] {
        var alias = alias
        let home = "arn:aws:lambda:\(registry.arns.region):"
        if alias.aliasArn.hasPrefix(home) { alias.aliasArn = "arn:aws:lambda:\(region):" + alias.aliasArn.dropFirst(home.count) }
        return AWSJSONKeys.encode(alias)
    }
}

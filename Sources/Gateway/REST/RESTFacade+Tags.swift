import Foundation
import Hummingbird
import ShoalProtocol

extension RESTFacade {
    /// Tags are a function's (not a version's or an alias's), named by its unqualified ARN.
    func addTagRoutes(to router: Router<RESTRequestContext>) {
        router.get("/2017-03-31/tags/:arn") { request, context in
            let name = try taggedFunction(request, context)
            return Response.json(Self.serialize(["Tags": try registry.function(name).tags ?? [:]]))
        }
        router.post("/2017-03-31/tags/:arn") { request, context in
            let name = try taggedFunction(request, context)
            let body = try AWSJSONKeys.decode(TagBody.self, from: try await body(request, context))
            try await registry.tag(name, body.tags)
            return Response.empty(204)
        }
        router.delete("/2017-03-31/tags/:arn") { request, context in
            let name = try taggedFunction(request, context)
            try await registry.untag(name, request.uri.queryParameters[values: "tagKeys"].map(String.init))
            return Response.empty(204)
        }
    }

    private struct TagBody: Decodable { var tags: [String: String] }

    /// The function a tag operation's resource names: a function ARN of this region, unqualified.
    private func taggedFunction(_ request: Request, _ context: RESTRequestContext) throws -> String {
        let arn = try Self.label(context, "arn")
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 7, parts[0] == "arn", parts[2] == "lambda", parts[5] == "function" else {
            throw RESTError.validation(
                arn, member: "resource", constraint: "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:...")
        }
        guard parts.count == 7 else {
            throw RESTError(
                "InvalidParameterValueException", status: 400,
                "Tags on function aliases and versions are not supported. Please specify a function ARN.")
        }
        return try RESTFunctionReference.resolve(arn, qualifier: nil, region: Self.region(request, default: defaultRegion))
    }
}

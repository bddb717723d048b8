import Foundation
import Hummingbird
import ShoalProtocol

extension RESTFacade {
    /// Resource policies: AddPermission, RemovePermission, GetPolicy. Stored and returned as
    /// AWS returns them (statements and the policy as strings of JSON), never enforced.
    func addPolicyRoutes(to router: Router<RESTRequestContext>) {
        router.post("/2015-03-31/functions/:name/policy") { request, context in try await addPermission(request, context) }
        router.delete("/2015-03-31/functions/:name/policy/:sid") { request, context in
            let (reference, _) = try policyTarget(request, context)
            try checkRevision(request.uri.queryParameters["RevisionId"].map(String.init), of: reference)
            try await registry.removePermission(reference, sid: try Self.label(context, "sid"))
            return Response.empty(204)
        }
        router.get("/2015-03-31/functions/:name/policy") { request, context in
            let (reference, _) = try functionReference(request, context)
            let record = try registry.function(reference)
            guard let statements = record.policy, !statements.isEmpty else {
                throw RESTError("ResourceNotFoundException", status: 404, "The resource you requested does not exist.")
            }
            let policy = #"{"Version":"2012-10-17","Id":"default","Statement":["# + statements.map(\.json).joined(separator: ",") + "]}"
            return Response.json(Self.serialize(["Policy": policy, "RevisionId": record.revisionId ?? ""]))
        }
    }

    /// AddPermission's body.
    private struct PermissionBody: Decodable {
        var statementId: String
        var action: String
        var principal: String
        var sourceArn: String?
        var sourceAccount: String?
        var eventSourceToken: String?
        var principalOrgID: String?
        var functionUrlAuthType: String?
        var revisionId: String?
    }

    /// The function a policy belongs to: a qualifier other than `$LATEST` must exist; `$LATEST`
    /// takes no policy of its own (AWS's rule).
    private func policyTarget(_ request: Request, _ context: RESTRequestContext) throws -> (reference: String, region: String) {
        let (reference, region) = try functionReference(request, context)
        if ARNs.functionReference(reference).qualifier == "$LATEST" {
            throw RESTError("InvalidParameterValueException", status: 400, "We currently do not support adding policies for $LATEST.")
        }
        return (reference, region)
    }

    private func addPermission(_ request: Request, _ context: RESTRequestContext) async throws -> Response {
        let (reference, region) = try policyTarget(request, context)
        let body = try AWSJSONKeys.decode(PermissionBody.self, from: try await body(request, context))
        try Self.checkPermission(body)
        try checkRevision(body.revisionId, of: reference)
        let record = try registry.function(reference)
        let qualifier = ARNs.functionReference(reference).qualifier
        let resource = ARNs(region: region, account: registry.arns.account).function(record.name) + (qualifier.map { ":" + $0 } ?? "")
        let statement = Self.statement(body, resource: resource)
        _ = try await registry.addPermission(reference, .init(sid: body.statementId, json: statement))
        return Response.json(Self.serialize(["Statement": statement]), status: 201)
    }

    /// AWS's patterns for a statement id and an action.
    private static func checkPermission(_ body: PermissionBody) throws {
        let sidBytes = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        guard (1...100).contains(body.statementId.count), body.statementId.allSatisfy(sidBytes.contains) else {
            throw RESTError.validation(
                body.statementId, member: "statementId", constraint: "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
        }
        let action = body.action
        let isAction =
            action == "*"
            || (action.hasPrefix("lambda:")
                && (action.dropFirst(7) == "*" || (!action.dropFirst(7).isEmpty && action.dropFirst(7).allSatisfy(\.isLetter))))
        guard isAction else {
            throw RESTError.validation(
                action, member: "action", constraint: "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])")
        }
    }

    /// The statement as AWS writes it: the principal as a service, an account or `*`, and a
    /// condition for each source restriction given.
    private static func statement(_ body: PermissionBody, resource: String) -> String {
        let principal: Any
        if body.principal == "*" {
            principal = "*"
        } else if body.principal.hasSuffix(".amazonaws.com") {
            principal = ["Service": body.principal]
        } else if body.principal.count == 12, body.principal.allSatisfy(\.isNumber) {
            principal = ["AWS": "arn:aws:iam::\(body.principal):root"]
        } else {
            principal = ["AWS": body.principal]
        }
        var condition: [String: [String: String]] = [:]
        if let arn = body.sourceArn { condition["ArnLike", default: [:]]["AWS:SourceArn"] = arn }
        if let account = body.sourceAccount { condition["StringEquals", default: [:]]["AWS:SourceAccount"] = account }
        if let organization = body.principalOrgID { condition["StringEquals", default: [:]]["aws:PrincipalOrgID"] = organization }
        if let token = body.eventSourceToken { condition["StringEquals", default: [:]]["lambda:EventSourceToken"] = token }
        if let authType = body.functionUrlAuthType { condition["StringEquals", default: [:]]["lambda:FunctionUrlAuthType"] = authType }
        var statement: [String: Any] = [
            "Sid": body.statementId, "Effect": "Allow", "Principal": principal, "Action": body.action, "Resource": resource,
        ]
        if !condition.isEmpty { statement["Condition"] = condition }
        return String(decoding: serialize(statement), as: UTF8.self)
    }
}

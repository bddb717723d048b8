import ShoalProtocol

/// The function a REST request names (a path label, percent-decoded, and `?Qualifier=`),
/// checked as AWS checks it before any lookup: the ARN's region against the request's, and a
/// qualifier in the name against the one in the query.
package enum RESTFunctionReference {
    /// The longest `FunctionName` AWS takes (a full ARN with a qualifier).
    static let maximumLength = 140

    /// The reference the gateway service resolves: `NAME` or `NAME:QUALIFIER`.
    package static func resolve(_ text: String, qualifier query: String?, region: String, account: String = "000000000000") throws(RESTError)
        -> String
    {
        guard (1...maximumLength).contains(text.utf8.count) else {
            throw .validation(text, member: "functionName", constraint: "Member must have length less than or equal to \(maximumLength)")
        }
        let (name, qualifier) = ARNs.functionReference(text)
        if text.hasPrefix("arn:") {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count >= 4, parts[3] != region {
                throw RESTError(
                    "ResourceNotFoundException", status: 404, "Functions from '\(parts[3])' are not reachable in this region ('\(region)')")
            }
        }
        // `ACCOUNT:function:NAME` or a full ARN naming another account: AWS denies access.
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let named = text.hasPrefix("arn:") ? (parts.count >= 5 ? parts[4] : nil) : (parts.count >= 3 && parts[1] == "function" ? parts[0] : nil)
        if let named, named != account {
            throw RESTError(
                "AccessDeniedException", status: 403,
                "User is not authorized to access function \(RPCError.echo(text)) of account \(RPCError.echo(named)): Shoal has only account \(account)"
            )
        }
        if let qualifier, let query, qualifier != query {
            throw RESTError(
                "InvalidParameterValueException", status: 400, "The derived qualifier from the function name does not match the specified qualifier.")
        }
        guard let effective = qualifier ?? query else { return name }
        return "\(name):\(effective)"
    }

    /// The region of a SigV4 `Authorization` header's credential scope
    /// (`Credential=AKID/DATE/REGION/lambda/aws4_request`); nil when there is none.
    package static func region(authorization: String?) -> String? {
        guard let authorization, let range = authorization.range(of: "Credential=") else { return nil }
        let scope = authorization[range.upperBound...].prefix { $0 != "," && $0 != " " }
        let parts = scope.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 5, !parts[2].isEmpty else { return nil }
        return String(parts[2])
    }
}

import Foundation
import Hummingbird
import ShoalProtocol

extension RESTFacade {
    /// Reserved concurrency (the paths' dates differ, as AWS's do) and the account's settings.
    func addConcurrencyRoutes(to router: Router<RESTRequestContext>) {
        router.put("/2017-10-31/functions/:name/concurrency") { request, context in
            let (reference, _) = try functionReference(request, context)
            let body = try AWSJSONKeys.decode(ClientAPI.Concurrency.self, from: try await body(request, context))
            guard let reserved = body.reservedConcurrentExecutions else {
                throw RESTError.validation("null", member: "reservedConcurrentExecutions", constraint: "Member must not be null")
            }
            guard reserved >= 0 else {
                throw RESTError.validation(
                    String(reserved), member: "reservedConcurrentExecutions", constraint: "Member must have value greater than or equal to 0")
            }
            return Response.json(AWSJSONKeys.encode(try await service.putConcurrency(reference, reserved)))
        }
        router.get("/2019-09-30/functions/:name/concurrency") { request, context in
            let (reference, _) = try functionReference(request, context)
            return Response.json(AWSJSONKeys.encode(try service.getConcurrency(reference)))
        }
        router.delete("/2017-10-31/functions/:name/concurrency") { request, context in
            let (reference, _) = try functionReference(request, context)
            _ = try await service.putConcurrency(reference, nil)
            return Response.empty(204)
        }
        router.get("/2016-08-19/account-settings") { _, _ in
            let functions = registry.allFunctions
            let reserved = functions.reduce(0) { $0 + ($1.reservedConcurrency ?? 0) }
            let codeSize = functions.reduce(0) { $0 + $1.codeSize }
            return Response.json(
                Self.serialize([
                    "AccountLimit": [
                        "TotalCodeSize": 80_530_636_800, "CodeSizeUnzipped": 262_144_000, "CodeSizeZipped": 52_428_800,
                        "ConcurrentExecutions": FunctionRegistry.accountConcurrency,
                        "UnreservedConcurrentExecutions": FunctionRegistry.accountConcurrency - reserved,
                    ],
                    "AccountUsage": ["TotalCodeSize": codeSize, "FunctionCount": functions.count],
                ]))
        }
    }
}

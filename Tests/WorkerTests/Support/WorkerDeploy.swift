import Foundation
import ShoalProtocol
import ShoalTestSupport

/// What the gateway does before a worker's first invoke, for tests that talk to a worker
/// process directly: hello (no token), the code as an artifact, then the definition.
enum WorkerDeploy {
    static func deploy(_ client: RPCConnection, name: String, runtime: String, handler: String, zip: [UInt8]) async throws {
        _ = try await client.call(WorkerAPI.Hello.self, .init(token: nil))
        let sha = TestZip.sha256(zip)
        _ = try await client.call(WorkerAPI.PutArtifact.self, .init(sha256: sha, zipFile: Data(zip).base64EncodedString()))
        _ = try await client.call(
            WorkerAPI.PutFunction.self,
            .init(function: FunctionDefinition(name: name, runtime: runtime, handler: handler, codeSHA256: sha)))
    }
}

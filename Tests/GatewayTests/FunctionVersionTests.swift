import Foundation
import ShoalProtocol
import ShoalTestSupport
import Testing

/// Published versions are the registry's: each runs its own code, on its own warm instances,
/// and they are there again after the gateway restarts.
@Suite(.serialized) struct FunctionVersionTests {
    static func code(_ tag: String) -> [String: String] {
        ["app.py": "import os\ndef handler(event, context):\n    return ['\(tag)', os.environ['AWS_LAMBDA_FUNCTION_VERSION']]\n"]
    }

    @Test func eachVersionAnswersWithItsOwnCodeAlsoAfterARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-versions-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await ShoalUp.start(workers: 2, dataDirectory: directory)
        let client = try await first.connect()
        try await client.createFunction("versioned", runtime: "python3.12", files: Self.code("one"))
        #expect(try await client.call(ClientAPI.PublishVersion.self, .init(functionName: "versioned")).version == "1")
        _ = try await client.call(
            ClientAPI.UpdateFunctionCode.self, .init(functionName: "versioned", zipFile: Data(TestZip.make(Self.code("two"))).base64EncodedString()))
        #expect(try await client.call(ClientAPI.PublishVersion.self, .init(functionName: "versioned")).version == "2")
        _ = try await client.call(
            ClientAPI.UpdateFunctionCode.self, .init(functionName: "versioned", zipFile: Data(TestZip.make(Self.code("three"))).base64EncodedString())
        )
        func answers(_ client: RPCConnection) async throws -> [String] {
            var answers: [String] = []
            for reference in ["versioned:1", "versioned:2", "versioned"] {
                let (body, result) = try await client.invoke(reference)
                answers.append("\(body) \(result.executedVersion ?? "-")")
            }
            return answers
        }
        let expected = [#"["one", "1"] 1"#, #"["two", "2"] 2"#, #"["three", "$LATEST"] $LATEST"#]
        #expect(try await answers(client) == expected)
        let listed = try await client.call(ClientAPI.ListVersions.self, .init(functionName: "versioned")).versions.map(\.version)
        #expect(listed == ["$LATEST", "1", "2"])
        await client.close()
        #expect(await first.stop() == .status(0))

        let second = try await ShoalUp.start(workers: 2, dataDirectory: directory)
        let again = try await second.connect()
        #expect(try await answers(again) == expected)
        await again.close()
        #expect(await second.stop() == .status(0))
    }
}

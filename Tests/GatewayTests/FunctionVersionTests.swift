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

    /// The owner of a function dies under invokes of its alias: the function, its versions and
    /// the alias answer from the next owner within 3 s.
    @Test func anAliasAnswersFromTheNextOwnerWithinThreeSecondsOfAWorkersDeath() async throws {
        try await ShoalUp.with(workers: 2, backend: "scripted") { up in
            let client = try await up.connect()
            try await client.createFunction("aliased", runtime: "provided.al2023", handler: "bootstrap", files: ["bootstrap": "#!/bin/sh\n"])
            _ = try await client.call(ClientAPI.PublishVersion.self, .init(functionName: "aliased"))
            _ = try await client.call(ClientAPI.CreateAlias.self, .init(functionName: "aliased", name: "live", functionVersion: "1"))
            #expect(try await client.invoke("aliased:live", #"{"tag": "warm"}"#).result.executedVersion == "1")
            let owner = try await client.call(ClientAPI.FunctionOwner.self, .init(functionName: "aliased")).worker
            let workers = try await client.call(ClientAPI.WorkersList.self, Empty()).workers
            let victim = try #require(workers.first { $0.id == owner }?.pid)
            let running = Task {
                while !Task.isCancelled { _ = try? await client.invoke("aliased:live", #"{"tag": "under way"}"#) }
            }
            try await Task.sleep(for: .milliseconds(200))
            kill(pid_t(victim), SIGKILL)
            let killed = ContinuousClock.now
            for reference in ["aliased:live", "aliased:1", "aliased"] {
                var answered = false
                while !answered, ContinuousClock.now - killed < .seconds(3) {
                    if let outcome = try? await client.invoke(reference, #"{"tag": "after"}"#) { answered = outcome.result.functionError == nil }
                }
                #expect(answered, "\(reference) answered within 3 s of the kill")
            }
            running.cancel()
            await client.close()
        }
    }
}

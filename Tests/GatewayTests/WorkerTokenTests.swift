import Foundation
import ShoalProtocol
import ShoalTestSupport
import Testing

/// `shoal up`'s workers answer only their gateway: a random token, handed over in the
/// environment (never on a command line that `ps` shows), guards their port.
@Suite(.serialized) struct WorkerTokenTests {
    @Test func aLocalProcessWithoutTheTokenCanNeitherDeployNorInvoke() async throws {
        try await ShoalUp.with(workers: 1) { up in
            let client = try await up.connect()
            let worker = try #require(try await client.call(ClientAPI.WorkersList.self, Empty()).workers.first)
            let pid = try #require(worker.pid)
            let commandLine = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
            let environment = try String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8).split(separator: "\0")
            let token = try #require(environment.first { $0.hasPrefix("SHOAL_TOKEN=") }?.dropFirst("SHOAL_TOKEN=".count))
            #expect(token.count == 64, "32 random bytes as hex")
            #expect(!commandLine.contains("token") && !commandLine.contains(token), "the token is not on the command line: \(commandLine)")

            let port = try #require(Int(worker.address.split(separator: ":").last ?? ""))
            let intruder = try await RPCConnection.connect(host: "127.0.0.1", port: port)
            let zip = TestZip.make(["app.py": "import os\ndef handler(e, c):\n    os.system('id')\n"])
            for _ in 0..<3 {
                let refused = await #expect(throws: RPCError.self) {
                    _ = try await intruder.call(
                        WorkerAPI.PutArtifact.self, .init(sha256: TestZip.sha256(zip), zipFile: Data(zip).base64EncodedString()))
                }
                #expect(refused?.data?.reason == "unauthorized")
            }
            let wrong = await #expect(throws: RPCError.self) { _ = try await intruder.call(WorkerAPI.Hello.self, .init(token: "guess")) }
            #expect(wrong?.data?.reason == "unauthorized")
            await intruder.close()
            let warnings =
                String(decoding: up.child.logs.contents, as: UTF8.self).components(separatedBy: "did not present the worker's token").count - 1
            #expect(warnings == 1, "one warning for the connection, not one per call: \(warnings)")

            // The gateway itself, which holds the token, still deploys and invokes.
            try await client.createFunction("fine", files: ["app.py": Handlers.echo])
            let (body, result) = try await client.invoke("fine", #"{"id": "ok"}"#)
            #expect(result.functionError == nil && body.contains("ok"))
            await client.close()
        }
    }
}

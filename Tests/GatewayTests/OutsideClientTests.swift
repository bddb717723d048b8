import Foundation
import ShoalRuntimeInterface
import ShoalTestSupport
import Testing

/// Outside clients: the raw-socket Python contract tests and the Python example client
/// (Tests/python), boto3 and the AWS CLI, and the `shoal` terminal client, each against a real
/// `shoal up`.
@Suite(.serialized) struct OutsideClientTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A python3 that is a real interpreter (pyenv shims may not be).
    static var python: String {
        if let configured = ProcessInfo.processInfo.environment["SHOAL_TEST_PYTHON"] { return configured }
        return FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
    }

    /// Runs a command to its end; its exit and output.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async -> (RuntimeProcess.Exit, String) {
        let logs = LogBuffer(capacity: 1024 * 1024)
        let process = RuntimeProcess(
            .init(
                executable: executable, arguments: arguments,
                environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                workingDirectory: repository.path),
            logs: logs, echo: false
        )
        let exit = await process.exited
        return (exit, String(decoding: logs.contents, as: UTF8.self))
    }

    @Test func theRawSocketContractTestsAndThePythonExamplePass() async throws {
        try await ShoalUp.with(workers: 2) { up in
            let (exit, output) = await Self.run(
                Self.python, [Self.repository.appendingPathComponent("Tests/python/test_gateway_contract.py").path],
                environment: ["SHOAL_RPC_PORT": String(up.rpcPort)])
            #expect(exit == .status(0), "python contract tests:\n\(output)")
            #expect(output.contains("Ran 11 tests"), "\(output)")
        }
    }

    /// boto3 and the AWS CLI, unchanged, against the REST API (Tests/python/test_rest_api.py,
    /// test_aws_cli.py, run with pytest from the venv scripts/test makes).
    @Test func boto3AndTheAWSCLIDriveTheRESTAPI() async throws {
        try await ShoalUp.with(workers: 2) { up in
            let tests = ["test_rest_api.py", "test_aws_cli.py"].map { Self.repository.appendingPathComponent("Tests/python/\($0)").path }
            let (exit, output) = await Self.run(
                Self.python, ["-m", "pytest", "-q", "-p", "no:cacheprovider"] + tests, environment: ["SHOAL_HTTP_PORT": String(up.httpPort)])
            #expect(exit == .status(0), "pytest:\n\(output)")
            #expect(output.contains(" passed"), "\(output)")
        }
    }

    @Test func theTerminalClientPublishesPointsAnAliasAndInvokesAVersion() async throws {
        try await ShoalUp.with(workers: 1) { up in
            let shoal = ChildProcess.shoalExecutable.path
            let address = ["--address", "127.0.0.1:\(up.rpcPort)"]
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-cli-versions-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            for tag in ["one", "two"] {
                try Data(TestZip.make(["app.py": "def handler(event, context):\n    return '\(tag)'\n"]))
                    .write(to: directory.appendingPathComponent("\(tag).zip"))
            }
            let zip = { (tag: String) in directory.appendingPathComponent("\(tag).zip").path }
            _ = await Self.run(shoal, ["create", "cli-v", "--runtime", "python3.12", "--handler", "app.handler", "--zip", zip("one")] + address)
            let (published, publishedOutput) = await Self.run(shoal, ["publish", "cli-v"] + address)
            #expect(published == .status(0) && publishedOutput.contains("version 1"), "\(publishedOutput)")
            _ = await Self.run(shoal, ["update", "cli-v", "--zip", zip("two")] + address)
            let (_, second) = await Self.run(shoal, ["publish", "cli-v"] + address)
            #expect(second.contains("version 2"), "\(second)")
            let (aliased, aliasOutput) = await Self.run(shoal, ["alias", "cli-v", "live", "1"] + address)
            #expect(aliased == .status(0) && aliasOutput.contains(#""functionVersion" : "1""#), "\(aliasOutput)")
            let (_, one) = await Self.run(shoal, ["invoke", "cli-v", "--qualifier", "live"] + address)
            let (_, two) = await Self.run(shoal, ["invoke", "cli-v", "--qualifier", "2"] + address)
            #expect(one.contains(#""one""#) && two.contains(#""two""#), "\(one) \(two)")
            let (_, listed) = await Self.run(shoal, ["alias", "cli-v"] + address)
            #expect(listed.contains("live\t1"), "\(listed)")
        }
    }

    @Test func theTerminalClientGetsUpdatesDeletesAndTailsAStream() async throws {
        try await ShoalUp.with(workers: 1) { up in
            let zip = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-cli-\(UUID().uuidString).zip")
            defer { try? FileManager.default.removeItem(at: zip) }
            let shoal = ChildProcess.shoalExecutable.path
            let address = ["--address", "127.0.0.1:\(up.rpcPort)"]
            try Data(
                TestZip.make([
                    "app.py": "import os\ndef handler(event, context):\n    print('first code ran')\n    return os.environ.get('MODE', 'none')\n"
                ])
            ).write(to: zip)
            _ = await Self.run(shoal, ["create", "cli-up", "--runtime", "python3.11", "--handler", "app.handler", "--zip", zip.path] + address)
            let (got, gotOutput) = await Self.run(shoal, ["get", "cli-up"] + address)
            #expect(got == .status(0) && gotOutput.contains(#""timeout" : 3"#), "\(gotOutput)")
            let (updated, updatedOutput) = await Self.run(
                shoal, ["update", "cli-up", "--timeout", "7", "--memory", "256", "--env", "MODE=configured"] + address)
            #expect(
                updated == .status(0) && updatedOutput.contains(#""timeout" : 7"#) && updatedOutput.contains(#""memorySize" : 256"#),
                "\(updatedOutput)")
            let (_, configured) = await Self.run(shoal, ["invoke", "cli-up"] + address)
            #expect(configured.contains(#""configured""#), "\(configured)")
            try Data(TestZip.make(["app.py": "def handler(event, context):\n    print('second code ran')\n    return 'second'\n"])).write(to: zip)
            let (recoded, recodedOutput) = await Self.run(shoal, ["update", "cli-up", "--zip", zip.path] + address)
            #expect(recoded == .status(0) && recodedOutput.contains(#""timeout" : 7"#), "\(recodedOutput)")
            let (streamed, streamedOutput) = await Self.run(shoal, ["invoke", "cli-up", "--stream", "--tail"] + address)
            #expect(streamed == .status(0) && streamedOutput.contains(#""second""#), "\(streamedOutput)")
            #expect(streamedOutput.contains("second code ran") && streamedOutput.contains("REPORT RequestId"), "the tail: \(streamedOutput)")
            let (nothing, nothingOutput) = await Self.run(shoal, ["update", "cli-up"] + address)
            #expect(nothing == .status(64) && nothingOutput.contains("nothing to update"), "\(nothingOutput)")
            let (deleted, deletedOutput) = await Self.run(shoal, ["delete", "cli-up"] + address)
            #expect(deleted == .status(0) && deletedOutput.contains("deleted cli-up"), "\(deletedOutput)")
            let (gone, goneOutput) = await Self.run(shoal, ["get", "cli-up"] + address)
            #expect(gone == .status(1) && goneOutput.contains("ResourceNotFoundException"), "\(goneOutput)")
        }
    }

    @Test func theTerminalClientCreatesInvokesAndLists() async throws {
        try await ShoalUp.with(workers: 2) { up in
            let zip = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-cli-\(UUID().uuidString).zip")
            defer { try? FileManager.default.removeItem(at: zip) }
            try Data(TestZip.make(["app.py": "def handler(event, context):\n    return {'got': event}\n"])).write(to: zip)
            let shoal = ChildProcess.shoalExecutable.path
            let address = ["--address", "127.0.0.1:\(up.rpcPort)"]
            let (created, createOutput) = await Self.run(
                shoal, ["create", "cli-fn", "--runtime", "python3.11", "--handler", "app.handler", "--zip", zip.path] + address)
            #expect(created == .status(0) && createOutput.contains(#""functionName" : "cli-fn""#), "\(createOutput)")
            let (invoked, invokeOutput) = await Self.run(shoal, ["invoke", "cli-fn", "--payload", #"{"a": 1}"#] + address)
            #expect(invoked == .status(0) && invokeOutput.contains(#"{"got": {"a": 1}}"#), "\(invokeOutput)")
            let (_, listed) = await Self.run(shoal, ["ls"] + address)
            #expect(listed.contains("cli-fn\tpython3.11\tapp.handler"), "\(listed)")
            let (_, workers) = await Self.run(shoal, ["workers"] + address)
            #expect(workers.split(separator: "\n").filter { $0.contains("\tup\t") }.count == 2, "\(workers)")
            let (_, warm) = await Self.run(shoal, ["warm"] + address)
            #expect(warm.contains("cli-fn\tworker-"), "\(warm)")
            // Failures that are not the user's typing: the message alone, no usage text, status 1.
            let (missing, missingOutput) = await Self.run(shoal, ["invoke", "nope"] + address)
            #expect(missing == .status(1) && missingOutput.contains("Error: gateway: ResourceNotFoundException"), "\(missingOutput)")
            #expect(!missingOutput.contains("Usage:"), "\(missingOutput)")
            let (again, againOutput) = await Self.run(
                shoal, ["create", "cli-fn", "--runtime", "python3.11", "--handler", "app.handler", "--zip", zip.path] + address)
            #expect(again == .status(1) && againOutput.contains("ResourceConflictException"), "\(againOutput)")
            try Data(TestZip.make(["app.py": "def handler(event, context):\n    raise ValueError('no')\n"])).write(to: zip)
            _ = await Self.run(shoal, ["create", "cli-raises", "--runtime", "python3.11", "--handler", "app.handler", "--zip", zip.path] + address)
            let (failed, failedOutput) = await Self.run(shoal, ["invoke", "cli-raises"] + address)
            #expect(
                failed == .status(1) && failedOutput.contains(#""errorType":"ValueError""#) && failedOutput.contains("Error: function: Unhandled"),
                "\(failedOutput)")
            let (unreadable, unreadableOutput) = await Self.run(
                shoal, ["create", "x", "--runtime", "python3.11", "--handler", "a.b", "--zip", "/nonexistent.zip"] + address)
            #expect(unreadable == .status(1) && unreadableOutput.contains("Error: unreadable: cannot read /nonexistent.zip"), "\(unreadableOutput)")
            // A typing mistake is still a usage error.
            let (typo, typoOutput) = await Self.run(shoal, ["create", "x", "--runtime", "python3.11"] + address)
            #expect(typo == .status(64) && typoOutput.contains("Usage:"), "\(typoOutput)")
        }
        // Nothing listening: a message that says so and how to start one.
        let closed = DeadPort()
        defer { closed.close() }
        let (unreachable, unreachableOutput) = await Self.run(ChildProcess.shoalExecutable.path, ["ls", "--address", "127.0.0.1:\(closed.port)"])
        #expect(
            unreachable == .status(1) && unreachableOutput.contains("Error: unreachable: no gateway at 127.0.0.1:\(closed.port)"),
            "\(unreachableOutput)")
    }
}

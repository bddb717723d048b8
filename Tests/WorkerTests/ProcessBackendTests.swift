import Foundation
import ShoalLambda
import ShoalProtocol
import ShoalTestSupport
import Testing

@testable import ShoalWorker

/// Real Lambda runtimes as local processes: `shoal rie` per instance, through the real pool.
@Suite(.serialized) struct ProcessBackendTests {
    struct Harness {
        let pools: WarmPoolManager
        let backend: ProcessBackend
        let invoker: InstanceClient
        let artifacts: ArtifactStore
        let directory: URL

        /// Stores the archive and defines the function on it.
        func define(
            _ name: String, runtime: String, handler: String, code: [ArchiveBuilder.Item],
            layers: [[ArchiveBuilder.Item]] = [], timeout: Int = 3, memory: Int = 128,
            environment: [String: String] = [:]
        ) async throws {
            let codeSHA = try await store(code)
            var layerSHAs: [String] = []
            for layer in layers { layerSHAs.append(try await store(layer)) }
            let function = FunctionDefinition(
                name: name, runtime: runtime, handler: handler, timeoutSeconds: timeout, memoryMB: memory,
                environment: environment, codeSHA256: codeSHA, layerSHA256s: layerSHAs
            )
            try await backend.prepull(function)
            await pools.define(function)
        }

        func store(_ items: [ArchiveBuilder.Item]) async throws -> String {
            let bytes = try ArchiveBuilder.bytes(items)
            let sha = TestZip.sha256(bytes)
            _ = try await artifacts.put(sha256: sha, bytes: bytes)
            return sha
        }

        func invoke(_ name: String, _ json: String) async throws -> (outcome: InvocationOutcome, body: [String: Any]) {
            let outcome = try await pools.invoke(name, payload: Array(json.utf8))
            return (outcome, (try? JSONSerialization.jsonObject(with: Data(outcome.body))) as? [String: Any] ?? [:])
        }

        func stop() async {
            await pools.shutdown()
            await backend.terminateAll()
            await invoker.shutdown()
            CodeUnpacker.removeTree(directory)
        }
    }

    static func start(python: String? = nil, pythonClient: String = "bundled", maxInstances: Int = 10, forkServer: Bool = true) throws -> Harness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-process-\(UUID().uuidString)")
        let artifacts = try ArtifactStore(directory: directory.appendingPathComponent("artifacts"))
        var configuration = ProcessBackend.Configuration(dataDirectory: directory, shoalExecutable: ChildProcess.shoalExecutable.path)
        configuration.pythonExecutable = python
        configuration.pythonClient = pythonClient
        configuration.pythonForkServer = forkServer
        let backend = try ProcessBackend(configuration: configuration, artifacts: artifacts)
        let invoker = InstanceClient()
        var poolConfiguration = WarmPoolManager.Configuration()
        poolConfiguration.pool = .init(maxInstances: maxInstances, maxConcurrentLaunches: maxInstances)
        let pools = WarmPoolManager(backend: backend, invoker: invoker, configuration: poolConfiguration)
        return Harness(pools: pools, backend: backend, invoker: invoker, artifacts: artifacts, directory: directory)
    }

    /// Runs `body` with a fresh harness and stops every process it started, even when `body`
    /// throws: a leaked instance would outlive the test and hold its pipes.
    static func withHarness(
        python: String? = nil, pythonClient: String = "bundled", maxInstances: Int = 10, forkServer: Bool = true,
        _ body: (Harness) async throws -> Void
    ) async throws {
        let harness = try start(python: python, pythonClient: pythonClient, maxInstances: maxInstances, forkServer: forkServer)
        do {
            try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    static let pythonHandler = """
        import os, time
        def handler(event, context):
            action = (event or {}).get("action")
            if action == "sleep":
                time.sleep(event["seconds"])
            if action == "crash":
                os._exit(9)
            if action == "fail":
                raise ValueError("bad input")
            if action == "layer":
                import shoal_layer
                return {"layer": shoal_layer.VALUE}
            if action == "context":
                cc = context.client_context
                return {"custom": cc.custom, "env": cc.env, "appTitle": cc.client.app_title,
                        "installation": cc.client.installation_id, "identity": context.identity.cognito_identity_id}
            return {
                "event": event,
                "pid": os.getpid(),
                "requestId": context.aws_request_id,
                "remaining": context.get_remaining_time_in_millis(),
                "env": {name: os.environ.get(name) for name in [
                    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                    "AWS_LAMBDA_FUNCTION_TIMEOUT", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_LOG_GROUP_NAME",
                    "AWS_LAMBDA_LOG_STREAM_NAME", "_HANDLER", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_EXECUTION_ENV",
                    "AWS_LAMBDA_RUNTIME_API", "TZ", "MY_SETTING"]},
            }
        """

    /// The same Python checks, on whichever runtime client the harness uses.
    static func exercisePython(_ harness: Harness) async throws {
        try await harness.define(
            "py", runtime: "python3.12", handler: "app.handler", code: [.file("app.py", pythonHandler)],
            layers: [[.file("python/shoal_layer.py", "VALUE = 'from the layer'\n")]],
            environment: ["MY_SETTING": "on", "AWS_REGION": "nope", "_HANDLER": "nope"])
        let (outcome, body) = try await harness.invoke("py", #"{"hello":"world"}"#)
        #expect(outcome.status == 200 && outcome.headers["x-amz-function-error"] == nil, "\(body)")
        #expect((body["event"] as? [String: String]) == ["hello": "world"])
        #expect((body["requestId"] as? String)?.count == 36)
        #expect((body["remaining"] as? Int ?? 0) > 1_000)
        let env = body["env"] as? [String: Any] ?? [:]
        #expect(env["AWS_LAMBDA_FUNCTION_NAME"] as? String == "py")
        #expect(env["AWS_LAMBDA_FUNCTION_VERSION"] as? String == "$LATEST")
        #expect(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] as? String == "128")
        #expect(env["AWS_LAMBDA_FUNCTION_TIMEOUT"] as? String == "3")
        #expect(env["AWS_REGION"] as? String == "us-east-1", "a function's variables may not override reserved ones")
        #expect(env["AWS_DEFAULT_REGION"] as? String == "us-east-1")
        #expect(env["AWS_LAMBDA_LOG_GROUP_NAME"] as? String == "/aws/lambda/py")
        #expect((env["AWS_LAMBDA_LOG_STREAM_NAME"] as? String)?.contains("[$LATEST]") == true)
        #expect(env["_HANDLER"] as? String == "app.handler")
        #expect((env["LAMBDA_TASK_ROOT"] as? String)?.hasSuffix("/code") == true)
        #expect(env["LAMBDA_RUNTIME_DIR"] as? String != nil)
        #expect(env["AWS_EXECUTION_ENV"] as? String == "AWS_Lambda_python3.12")
        #expect((env["AWS_LAMBDA_RUNTIME_API"] as? String)?.hasPrefix("127.0.0.1:") == true)
        #expect(env["TZ"] as? String == ":UTC")
        #expect(env["MY_SETTING"] as? String == "on")
        #expect(try await harness.invoke("py", #"{"action":"layer"}"#).body["layer"] as? String == "from the layer")
        // The client context as the worker passes it on (`ClientContextHeader`): what the
        // handler reads is the same objects on both loops.
        let clientContext =
            "{\n \"custom\": {\"suite\": \"caf\u{e9} \u{1F600}\"},\n \"env\": {\"locale\": \"fr\"}, \"client\": {\"app_title\": \"tests\"}\n}"
        let header = try #require(ClientContextHeader.value(base64: Base64.encode(Array(clientContext.utf8))))
        let withContext = try await harness.pools.invoke(
            "py", payload: Array(#"{"action":"context"}"#.utf8), headers: [(ClientContextHeader.name, header)])
        let seen = (try? JSONSerialization.jsonObject(with: Data(withContext.body))) as? [String: Any] ?? [:]
        #expect(withContext.headers["x-amz-function-error"] == nil, "\(String(decoding: withContext.body, as: UTF8.self))")
        #expect(seen["custom"] as? [String: String] == ["suite": "caf\u{e9} \u{1F600}"])
        #expect(seen["env"] as? [String: String] == ["locale": "fr"])
        #expect(seen["appTitle"] as? String == "tests")
        #expect(seen["installation"] is NSNull && seen["identity"] is NSNull)
        let failed = try await harness.invoke("py", #"{"action":"fail"}"#)
        #expect(failed.outcome.headers["x-amz-function-error"] == "Unhandled")
        #expect(failed.body["errorType"] as? String == "ValueError")
        #expect(failed.body["errorMessage"] as? String == "bad input")
        #expect(try await harness.invoke("py", "{}").outcome.headers["x-amz-function-error"] == nil, "the next invoke works")
    }

    @Test func pythonOnTheBundledLoop() async throws {
        try await Self.withHarness(pythonClient: "bundled") { harness in
            try await Self.exercisePython(harness)
        }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["SHOAL_TEST_PYTHON"] != nil, "scripts/test provides a venv with awslambdaric"))
    func pythonOnTheRealAWSLambdaRIC() async throws {
        let python = try #require(ProcessInfo.processInfo.environment["SHOAL_TEST_PYTHON"])
        #expect(await RuntimeCatalog.canImportAWSLambdaRIC(python), "the test venv must have awslambdaric")
        try await Self.withHarness(python: python, pythonClient: "awslambdaric") { harness in
            try await Self.exercisePython(harness)
        }
    }

    @Test func providedBootstrap() async throws {
        try await Self.withHarness { harness in
            let bootstrap = """
                #!/bin/sh
                set -eu
                api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
                while true; do
                  response=$(curl -sS -i "$api/invocation/next")
                  id=$(printf '%s\\n' "$response" | grep -i '^lambda-runtime-aws-request-id:' | tr -d '\\r' | cut -d' ' -f2)
                  event=$(printf '%s\\n' "$response" | sed '1,/^\\r*$/d')
                  curl -sS -o /dev/null -X POST "$api/invocation/$id/response" -d "{\\"bootstrap\\":\\"$_HANDLER\\",\\"got\\":$event}"
                done
                """
            try await harness.define(
                "sh", runtime: "provided.al2023", handler: "my.handler", code: [.file("bootstrap", bootstrap, permissions: 0o755)])
            let (outcome, body) = try await harness.invoke("sh", #"{"n":1}"#)
            #expect(outcome.status == 200)
            #expect(body["bootstrap"] as? String == "my.handler")
            #expect((body["got"] as? [String: Int]) == ["n": 1])
        }
    }

    @Test func nodeHandlerAndItsErrors() async throws {
        try await Self.withHarness { harness in
            let source = """
                exports.handler = async (event, context) => {
                  if (event.action === "fail") throw new TypeError("not a number");
                  return { echo: event, fn: context.functionName, node: process.version };
                };
                """
            try await harness.define("js", runtime: "nodejs20.x", handler: "index.handler", code: [.file("index.js", source)])
            let (outcome, body) = try await harness.invoke("js", #"{"a":[1,2]}"#)
            #expect(outcome.status == 200, "\(body)")
            #expect(body["fn"] as? String == "js")
            #expect((body["echo"] as? [String: [Int]]) == ["a": [1, 2]])
            let failed = try await harness.invoke("js", #"{"action":"fail"}"#)
            #expect(failed.outcome.headers["x-amz-function-error"] == "Unhandled")
            #expect(failed.body["errorType"] as? String == "TypeError")
        }
    }

    @Test func aStreamingFunctionThatFailsBeforeWritingFailsAsABufferedOneWithItsOwnContentTypeOtherwise() async throws {
        try await Self.withHarness { harness in
            let source = """
                exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
                  if (event.fail) throw new RangeError("before any byte");
                  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201 });
                  stream.end("body");
                });
                """
            try await harness.define("prelude", runtime: "nodejs22.x", handler: "index.handler", code: [.file("index.js", source)])
            let arrivals = ArrivalLog()
            let record: WarmPoolManager.StreamSink = { bytes, contentType in
                await arrivals.record(String(decoding: bytes, as: UTF8.self), at: 0, contentType: contentType)
            }
            let failed = try await harness.pools.invoke("prelude", payload: Array(#"{"fail":true}"#.utf8), onBody: record)
            #expect(failed.headers["x-amz-function-error"] == "Unhandled")
            #expect(String(decoding: failed.body, as: UTF8.self).contains("before any byte"))
            #expect(await arrivals.snapshot().0 == "", "no chunk: the error document is the outcome's body")

            let streamed = try await harness.pools.invoke("prelude", payload: Array("{}".utf8), onBody: record)
            #expect(streamed.headers["x-amz-function-error"] == nil && streamed.body.isEmpty)
            #expect(await arrivals.contentTypes == ["application/vnd.awslambda.http-integration-response"])
            #expect(await arrivals.snapshot().0 == #"{"statusCode":201}"# + String(repeating: "\0", count: 8) + "body")
        }
    }

    @Test func aStreamingNodeFunctionsFirstChunkArrivesBeforeItsLastIsWritten() async throws {
        try await Self.withHarness { harness in
            let source = """
                exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
                  for (let i = 0; i < 5; i++) {
                    responseStream.write(`chunk ${i} written at ${Date.now()}\\n`);
                    await new Promise((resolve) => setTimeout(resolve, 200));
                  }
                  responseStream.end();
                });
                """
            try await harness.define("stream", runtime: "nodejs22.x", handler: "index.handler", code: [.file("index.js", source)])
            let arrivals = ArrivalLog()
            let outcome = try await harness.pools.invoke("stream", payload: Array("{}".utf8)) { bytes, contentType in
                await arrivals.record(
                    String(decoding: bytes, as: UTF8.self), at: Int64(Date().timeIntervalSince1970 * 1000), contentType: contentType)
            }
            #expect(outcome.status == 200)
            let (text, times) = await arrivals.snapshot()
            #expect(await arrivals.contentTypes == ["application/octet-stream"], "the first chunk alone carries the stream's content type")
            let lines = text.split(separator: "\n")
            #expect(lines.count == 5, "\(text)")
            let lastWritten = try #require(lines.last.flatMap { Int64($0.split(separator: " ").last ?? "") })
            let firstArrival = try #require(times.first)
            #expect(firstArrival < lastWritten, "first chunk arrived at \(firstArrival); the last was written at \(lastWritten)")
        }
    }

    @Test func timeoutCrashAndInitErrorEachGiveTheRightTypeAndTheNextInvokeWorks() async throws {
        try await Self.withHarness { harness in
            try await harness.define("py", runtime: "python3.11", handler: "app.handler", code: [.file("app.py", Self.pythonHandler)], timeout: 1)
            let timedOut = try await harness.invoke("py", #"{"action":"sleep","seconds":5}"#)
            #expect(timedOut.outcome.headers["x-amz-function-error"] == "Unhandled")
            #expect(timedOut.body["errorType"] as? String == "Sandbox.Timedout")
            #expect((timedOut.body["errorMessage"] as? String)?.hasSuffix("Task timed out after 1.00 seconds") == true)
            #expect(try await harness.invoke("py", "{}").outcome.headers["x-amz-function-error"] == nil)
            let crashed = try await harness.invoke("py", #"{"action":"crash"}"#)
            #expect(crashed.body["errorType"] as? String == "Runtime.ExitError")
            #expect((crashed.body["errorMessage"] as? String)?.contains("exit status 9") == true)
            #expect(try await harness.invoke("py", "{}").outcome.headers["x-amz-function-error"] == nil)

            try await harness.define("broken", runtime: "python3.12", handler: "missing.handler", code: [.file("app.py", "x = 1\n")])
            let initFailed = try await harness.invoke("broken", "{}")
            #expect(initFailed.outcome.headers["x-amz-function-error"] == "Unhandled")
            #expect(initFailed.body["errorType"] as? String == "Runtime.ImportModuleError")
        }
    }

    @Test func aMissingInterpreterOrBootstrapIsRefusedAtCreate() async throws {
        try await Self.withHarness(python: "/nonexistent/python3") { harness in
            for (name, runtime, code) in [
                ("nobin", "provided.al2", [ArchiveBuilder.Item.file("README", "no bootstrap")]),
                ("py", "python3.12", [ArchiveBuilder.Item.file("app.py", Self.pythonHandler)]),
            ] {
                let error = await #expect(throws: WorkerError.self) {
                    try await harness.define(name, runtime: runtime, handler: "app.handler", code: code)
                }
                #expect(error?.message.hasPrefix("Runtime.InvalidEntrypoint") == true, "\(String(describing: error))")
                #expect(error?.rpcError.data?.type == "InvalidParameterValueException")
            }
            await #expect(throws: WorkerError.self) {
                try await harness.define("odd", runtime: "cobol1.0", handler: "h", code: [.file("a", "b")])
            }
        }
    }

    @Test func logsHoldLambdasLinesAndTheTailIsThisInvocations() async throws {
        try await Self.withHarness { harness in
            let source = "def handler(event, context):\n    print('handled', event['n'], flush=True)\n    return event['n']\n"
            try await harness.define("logger", runtime: "python3.11", handler: "app.handler", code: [.file("app.py", source)], memory: 256)
            _ = try await harness.pools.invoke("logger", payload: Array(#"{"n":1}"#.utf8))
            let tailed = try await harness.pools.invoke("logger", payload: Array(#"{"n":2}"#.utf8), headers: [("X-Amz-Log-Type", "Tail")])
            let tail = String(decoding: Data(base64Encoded: tailed.headers["x-amz-log-result"] ?? "") ?? Data(), as: UTF8.self)
            #expect(tail.contains("handled 2") && !tail.contains("handled 1"), "\(tail)")
            #expect(tail.hasPrefix("START RequestId: "))
            #expect(tail.contains("REPORT RequestId: ") && tail.contains("Memory Size: 256 MB") && tail.contains("Billed Duration: "))
            let instance = try #require(await harness.pools.list().first)
            let handle = LaunchedInstance(instanceID: instance.instanceId, endpoint: Endpoint(host: "", port: 0), handle: "")
            // The instance's own log is read from its process asynchronously.
            #expect(
                await eventually {
                    let logs = await harness.backend.logs(handle)
                    return logs.contains("handled 1") && logs.contains("handled 2") && logs.components(separatedBy: "END RequestId: ").count == 3
                }, "both invocations' output and an END line per invocation")
        }
    }

    @Test func memorySizeIsEnforced() async throws {
        try await Self.withHarness { harness in
            let hog = "def handler(event, context):\n    block = bytearray(400 * 1024 * 1024)\n    return len(block)\n"
            try await harness.define("hog", runtime: "python3.11", handler: "app.handler", code: [.file("app.py", hog)], memory: 128)
            let (outcome, body) = try await harness.invoke("hog", "{}")
            #expect(outcome.headers["x-amz-function-error"] == "Unhandled", "400 MB under a 128 MB limit must fail: \(body)")
            // With the cgroup the kernel kills the runtime; under RLIMIT_DATA the allocation fails.
            #expect(["Runtime.ExitError", "MemoryError"].contains(body["errorType"] as? String ?? ""), "\(body)")
        }
    }

    @Test func terminatingAPoolOfTenLeavesNoProcessBehind() async throws {
        try await Self.withHarness(maxInstances: 10) { harness in
            try await harness.define("py", runtime: "python3.12", handler: "app.handler", code: [.file("app.py", Self.pythonHandler)])
            let runtimes = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<10 {
                    group.addTask { Int32(try await harness.invoke("py", #"{"action":"sleep","seconds":0.5}"#).body["pid"] as? Int ?? 0) }
                }
                return try await group.reduce(into: [Int32]()) { $0.append($1) }
            }
            let instances = await harness.pools.list()
            #expect(instances.count == 10)
            // An RIE per instance in a session of its own, and a runtime for each (runtimes start
            // lazily; forked ones lead a session of their own, spawned ones are in the RIE's).
            let sessions = harness.backend.sessions + runtimes
            #expect(Set(harness.backend.sessions).count == 10 && Set(runtimes).count == 10)
            let processes = Array(Set(sessions.flatMap { SessionSweep.members(of: $0) }))
            #expect(processes.count >= 20, "\(processes.count)")
            await harness.pools.shutdown()
            #expect(await eventually { sessions.allSatisfy { SessionSweep.members(of: $0).isEmpty } })
            // Gone entirely: not even a zombie waiting to be reaped.
            #expect(await eventually { processes.allSatisfy { kill($0, 0) != 0 } }, "\(processes.filter { kill($0, 0) == 0 })")
        }
    }
}

/// Chunk arrivals recorded from a streaming callback.
actor ArrivalLog {
    private var text = ""
    private var times: [Int64] = []
    private(set) var contentTypes: [String] = []

    /// `millis`: wall-clock time of arrival, comparable with what the function wrote.
    func record(_ chunk: String, at millis: Int64, contentType: String? = nil) {
        text += chunk
        times.append(millis)
        if let contentType { contentTypes.append(contentType) }
    }

    func snapshot() -> (String, [Int64]) { (text, times) }
}

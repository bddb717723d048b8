import Foundation
import NIOConcurrencyHelpers
import NIOCore
import ShoalProtocol
import ShoalTestSupport
import Testing

/// Timeouts, Event and DryRun, payload limits and the streamed relay, through `shoal up`.
@Suite(.serialized) struct GatewayInvocationTests {
    @Test func aFunctionTimeoutIsAFunctionErrorAndTheNextInvokeWorks() async throws {
        try await ShoalUp.with(workers: 1) { up in
            let client = try await up.connect()
            try await client.createFunction("sleepy", files: ["app.py": Handlers.echo], timeout: 1)
            let started = ContinuousClock.now
            let (body, result) = try await client.invoke("sleepy", #"{"sleep": 3}"#)
            #expect(result.functionError == "Unhandled")
            #expect(body.contains("Sandbox.Timedout") && body.contains("Task timed out after 1.00 seconds"), "\(body)")
            #expect(ContinuousClock.now - started < .seconds(3))
            let (again, next) = try await client.invoke("sleepy", #"{"id": "after"}"#)
            #expect(next.functionError == nil && again.contains("after"))
            await client.close()
        }
    }

    /// An instance that never answers: the gateway's own deadline (timeout plus grace) fires,
    /// and the worker is told to cancel, which recycles that instance.
    @Test func theGatewayTimesOutAnInstanceThatNeverAnswersAndTheWorkerRecyclesIt() async throws {
        try await ShoalUp.with(workers: 1, backend: "scripted", extra: ["--invoke-grace", "0.3"]) { up in
            let client = try await up.connect()
            try await client.createFunction(
                "stuck", runtime: "provided.al2023", handler: "bootstrap", files: ["bootstrap": "#!/bin/sh\n"], timeout: 1)
            _ = try await client.invoke("stuck", #"{"tag": "warm"}"#)
            let started = ContinuousClock.now
            let (body, result) = try await client.invoke("stuck", #"{"sleepMs": 20000}"#)
            let waited = ContinuousClock.now - started
            #expect(result.functionError == "Unhandled" && result.statusCode == 200)
            #expect(body.contains(#""errorType":"Sandbox.Timedout""#) && body.contains("Task timed out after 1.00 seconds"), "\(body)")
            #expect(waited >= .seconds(1) && waited < .seconds(5), "answered after \(waited)")
            #expect(
                await eventually { (try? await client.call(ClientAPI.WarmList.self, Empty()).instances.filter(\.busy).isEmpty) ?? false },
                "the timed-out instance was recycled")
            let (echo, next) = try await client.invoke("stuck", #"{"tag": "after"}"#)
            #expect(next.functionError == nil && echo.contains("after"))
            await client.close()
        }
    }

    /// SIGTERM while a warm call (the one relayed on the gateway's event loop) and a call the
    /// general way are running: both are answered before `shoal up` exits, and nothing is left.
    @Test func sigtermLetsTheCallsInFlightFinish() async throws {
        let up = try await ShoalUp.start(workers: 1)
        defer { up.removeData() }
        let client = try await up.connect()
        try await client.createFunction("slow", files: ["app.py": Handlers.echo])
        try await client.createFunction("cold", files: ["app.py": Handlers.echo])
        _ = try await client.invoke("slow", #"{"id": "warm"}"#)
        // "cold" was never sent to the worker: its call goes the general way (deploy, cold start).
        let calls = [("slow", "warm-in-flight"), ("cold", "cold-in-flight")].map { name, id in
            Task { try await client.invoke(name, #"{"id": "\#(id)", "sleep": 1}"#) }
        }
        try await Task.sleep(for: .milliseconds(300))
        let stopped = Task { await up.stop() }
        for (call, id) in zip(calls, ["warm-in-flight", "cold-in-flight"]) {
            let (body, result) = try await call.value
            #expect(result.functionError == nil && body.contains(id), "\(body)")
        }
        #expect(await stopped.value == .status(0), "shoal up exits cleanly on SIGTERM")
        #expect(await eventually(timeout: .seconds(3)) { up.leftovers().isEmpty }, "left behind: \(up.leftovers())")
        await client.close()
    }

    @Test func eventInvocationsAreAcceptedAtOnceAndRunInTheBackgroundDryRunRunsNothing() async throws {
        let marks = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-event-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: marks) }
        try await ShoalUp.with(workers: 1) { up in
            let client = try await up.connect()
            try await client.createFunction("background", files: ["app.py": Handlers.echo], environment: ["MARKS": marks.path])
            let started = ContinuousClock.now
            let (_, accepted) = try await client.invoke("background", #"{"id": "event-1", "sleep": 1}"#, type: "Event")
            #expect(accepted.statusCode == 202 && ContinuousClock.now - started < .milliseconds(900))
            #expect(await eventually(timeout: .seconds(10)) { FileManager.default.fileExists(atPath: marks.appendingPathComponent("event-1").path) })
            let (_, dry) = try await client.invoke("background", #"{"id": "dry-1"}"#, type: "DryRun")
            #expect(dry.statusCode == 204)
            await #expect(throws: RPCError.self) { _ = try await client.invoke("missing", "{}", type: "DryRun") }
            try await Task.sleep(for: .milliseconds(300))
            #expect(!FileManager.default.fileExists(atPath: marks.appendingPathComponent("dry-1").path))
            await client.close()
        }
    }

    @Test func oversizedPayloadsAndBadParametersGetTheContractErrors() async throws {
        try await ShoalUp.with(workers: 1, backend: "scripted") { up in
            let client = try await up.connect()
            try await client.createFunction("limits", runtime: "provided.al2023", handler: "bootstrap", files: ["bootstrap": "#!/bin/sh\n"])
            let big = String(repeating: "x", count: 6 * 1024 * 1024 + 1)
            let tooLarge = await #expect(throws: RPCError.self) { _ = try await client.invoke("limits", big) }
            #expect(tooLarge?.code == .requestTooLarge && tooLarge?.data?.type == "RequestTooLargeException")
            let conflict = await #expect(throws: RPCError.self) {
                try await client.createFunction("limits", runtime: "provided.al2023", handler: "bootstrap", files: ["bootstrap": "#!/bin/sh\n"])
            }
            #expect(conflict?.code == .resourceConflict)
            for bad in ["has space", String(repeating: "a", count: 65), ""] {
                let error = await #expect(throws: RPCError.self) { try await client.createFunction(bad, files: ["app.py": ""]) }
                #expect(error?.code == .invalidParams && error?.data?.type == "InvalidParameterValueException")
            }
            let badTimeout = await #expect(throws: RPCError.self) { try await client.createFunction("t", files: ["app.py": ""], timeout: 901) }
            #expect(badTimeout?.code == .invalidParams)
            let badZip = await #expect(throws: RPCError.self) {
                _ = try await client.call(
                    ClientAPI.CreateFunction.self,
                    .init(functionName: "z", runtime: "python3.11", handler: "a.b", code: .init(zipFile: "bm90IGEgemlw")))
            }
            #expect(badZip?.code == .invalidParams && badZip?.message.contains("unzip") == true)
            await client.close()
        }
    }

    /// What AWS refuses before any function runs (InvalidRequestContentException) and what it
    /// hands a function in place of nothing, through `shoal up` to the real Python runtime.
    @Test func invokeContentIsCheckedAndHandedOnAsAWSDoes() async throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-content-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: runs) }
        let handler = """
            import os
            def handler(event, context):
                with open(os.environ["RUNS"], "a") as f:
                    f.write("ran\\n")
                cc = context.client_context
                return {"event": event, "custom": cc.custom if cc else None, "app": cc.client.app_title if cc and cc.client else None}
            """
        try await ShoalUp.with(workers: 1) { up in
            let client = try await up.connect()
            try await client.createFunction("content", files: ["app.py": handler], environment: ["RUNS": runs.path])
            func invoke(_ payload: [UInt8]?, type: String? = nil, clientContext: String? = nil) async throws -> [String: Any] {
                let result = try await client.call(
                    ClientAPI.Invoke.self,
                    .init(
                        functionName: "content", payload: payload.map { Base64.encode($0) }, invocationType: type, clientContext: clientContext))
                #expect(result.functionError == nil, "\(String(decoding: Base64.decode(result.payload) ?? [], as: UTF8.self))")
                return (try? JSONSerialization.jsonObject(with: Data(Base64.decode(result.payload) ?? []))) as? [String: Any] ?? [:]
            }
            // No payload: the function gets {}. A JSON scalar is an event like any other.
            #expect(try await invoke(nil)["event"] as? [String: Int] == [:])
            #expect(try await invoke([])["event"] as? [String: Int] == [:])
            #expect(try await invoke(Array(#" "text" "#.utf8))["event"] as? String == "text")
            // The client context reaches the handler as the objects awslambdaric makes.
            let context = "{\"custom\": {\"suite\": \"caf\u{e9}\"},\n \"client\": {\"app_title\": \"tests\"}}"
            let seen = try await invoke(Array("{}".utf8), clientContext: Base64.encode(Array(context.utf8)))
            #expect(seen["custom"] as? [String: String] == ["suite": "caf\u{e9}"] && seen["app"] as? String == "tests", "\(seen)")

            func expectRefused(
                _ payload: [UInt8], type: String? = nil, clientContext: String? = nil, stream: Bool = false,
                _ message: String, sourceLocation: SourceLocation = #_sourceLocation
            ) async {
                let params = ClientAPI.InvokeParams(
                    functionName: "content", payload: Base64.encode(payload), invocationType: type, clientContext: clientContext)
                let error = await #expect(throws: RPCError.self, sourceLocation: sourceLocation) {
                    if stream {
                        _ = try await client.call(ClientAPI.InvokeStream.self, params)
                    } else {
                        _ = try await client.call(ClientAPI.Invoke.self, params)
                    }
                }
                #expect(
                    error?.code == .invalidRequestContent && error?.data?.type == "InvalidRequestContentException", sourceLocation: sourceLocation)
                #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "")", sourceLocation: sourceLocation)
            }
            let notJSON = "Could not parse request body into json: Could not parse payload into json: "
            await expectRefused(Array("not json".utf8), notJSON + "unrecognized token")
            await expectRefused(
                Array(#"{"a": 1,}"#.utf8), type: "Event", notJSON + "unexpected character '}' where a member's name belongs at line 1, column 9")
            await expectRefused(Array("[1 2]".utf8), type: "DryRun", notJSON + "unexpected character '2'")
            await expectRefused(Array(#"{"a": ""#.utf8) + [0xFF] + Array(#""}"#.utf8), notJSON + "invalid UTF-8 at line 1, column 8")
            await expectRefused(Array("{".utf8), stream: true, notJSON + "unexpected end of input")
            let badContext = "Client context must be a valid Base64-encoded JSON object."
            await expectRefused(Array("{}".utf8), clientContext: "not base64", badContext)
            await expectRefused(Array("{}".utf8), clientContext: Base64.encode(Array("[1]".utf8)), badContext)
            await expectRefused(Array("{}".utf8), type: "Event", clientContext: Base64.encode(Array(#"{"custom":"#.utf8)), badContext)
            let long = Base64.encode(Array(("{\"custom\":\"" + String(repeating: "x", count: 2700) + "\"}").utf8))
            await expectRefused(Array("{}".utf8), clientContext: long, "Client context must be at most 3583 bytes")
            // Nothing refused reached the function, now or in the background.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try String(contentsOf: runs, encoding: .utf8).split(separator: "\n").count == 4)
            await client.close()
        }
    }

    /// 1,000 clients, each on its own connection, each invoking once, all at the same time.
    @Test func aThousandConcurrentClientConnectionsAreServed() async throws {
        try await ShoalUp.with(workers: 2, backend: "scripted") { up in
            let setup = try await up.connect()
            try await setup.createFunction("crowd", runtime: "provided.al2023", handler: "bootstrap", files: ["bootstrap": "#!/bin/sh\n"])
            await setup.close()
            let connections = try await withThrowingTaskGroup(of: RPCConnection.self) { group in
                for _ in 0..<1000 { group.addTask { try await up.connect() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(connections.count == 1000)
            let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
                for (index, connection) in connections.enumerated() {
                    group.addTask {
                        let (body, result) = try await connection.invoke("crowd", #"{"tag": "client-\#(index)"}"#)
                        return result.functionError == nil && body.contains("client-\(index)\"")
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(answered == 1000)
            for connection in connections { await connection.close() }
        }
    }
}

import Foundation
import ShoalRuntimeInterface
import ShoalTestSupport
import ShoalWorker
import Testing

/// `shoal rie` in process, over real sockets, fronting a real runtime process.
@Suite struct RuntimeInterfaceEmulatorTests {
    struct Harness {
        let emulator: RuntimeInterfaceEmulator
        let serving: Task<Void, any Error>
        let invoker: InstanceClient

        func invoke(_ json: String, headers: [(String, String)] = [], timeout: Duration = .seconds(30)) async throws -> InstanceResponse {
            try await invoker.send(request(json, headers: headers, timeout: timeout))
        }

        func request(_ json: String, headers: [(String, String)] = [], timeout: Duration = .seconds(30)) -> InstanceRequest {
            InstanceRequest(
                endpoint: Endpoint(host: "127.0.0.1", port: emulator.invokePort), body: Array(json.utf8), headers: headers, timeout: timeout)
        }

        func stop() async {
            await emulator.stop()
            serving.cancel()
            await invoker.shutdown()
        }
    }

    private static func start(timeout: Duration = .seconds(5), environment: [String: String] = [:]) async throws -> Harness {
        var configuration = InvocationBroker.Configuration()
        configuration.functionName = "fixture"
        configuration.functionARN = "arn:aws:lambda:us-east-1:000000000000:function:fixture"
        configuration.timeout = timeout
        configuration.memoryMB = 256
        configuration.echoLogLines = false
        let emulator = try await RuntimeInterfaceEmulator(
            invokePort: 0, configuration: configuration, runtime: try FixtureRuntime.command(environment: environment), echoRuntimeOutput: false
        )
        let serving = Task { try await emulator.run() }
        return Harness(emulator: emulator, serving: serving, invoker: InstanceClient())
    }

    /// Runs `body` with a fresh emulator and stops it (and its runtime) even when `body` throws.
    private static func withRIE(
        timeout: Duration = .seconds(5), environment: [String: String] = [:], _ body: (Harness) async throws -> Void
    ) async throws {
        let rie = try await start(timeout: timeout, environment: environment)
        do {
            try await body(rie)
        } catch {
            await rie.stop()
            throw error
        }
        await rie.stop()
    }

    private static func json(_ bytes: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }

    @Test func anInvocationCarriesEveryLambdaHeader() async throws {
        try await Self.withRIE { rie in
            let response = try await rie.invoke(#"{"action":"headers"}"#, headers: [("Lambda-Runtime-Client-Context", #"{"c":1}"#)])
            #expect(response.status == 200 && response.headers["x-amz-function-error"] == nil)
            let seen = Self.json(response.body)
            #expect((seen["Lambda-Runtime-Aws-Request-Id"] as? String)?.count == 36)
            #expect(seen["Lambda-Runtime-Invoked-Function-Arn"] as? String == "arn:aws:lambda:us-east-1:000000000000:function:fixture")
            #expect((seen["Lambda-Runtime-Trace-Id"] as? String)?.hasPrefix("Root=1-") == true)
            #expect(seen["Lambda-Runtime-Client-Context"] as? String == #"{"c":1}"#)
            let deadline = Int(seen["Lambda-Runtime-Deadline-Ms"] as? String ?? "") ?? 0
            let now = seen["now"] as? Int ?? 0
            #expect(deadline > now && deadline - now <= 5_000, "deadline \(deadline) vs now \(now)")
        }
    }

    /// `X-Amz-Client-Context` is base64, as in AWS's Invoke API; the runtime gets the JSON.
    @Test func aBase64ClientContextReachesTheRuntimeAsJSONAndABadOneIsRefused() async throws {
        try await Self.withRIE { rie in
            let encoded = try await rie.invoke(#"{"action":"headers"}"#, headers: [("X-Amz-Client-Context", "eyJjIjoxfQ==")])
            #expect(Self.json(encoded.body)["Lambda-Runtime-Client-Context"] as? String == #"{"c":1}"#)
            for bad in ["not base64", "WzFd"] {  // the second: base64 of [1], not an object
                let refused = try await rie.invoke(#"{"action":"headers"}"#, headers: [("X-Amz-Client-Context", bad)])
                #expect(refused.status == 400 && Self.json(refused.body)["errorType"] as? String == "InvalidRequestContentException")
            }
            let after = try await rie.invoke(#"{"action":"headers"}"#)
            #expect(after.status == 200 && Self.json(after.body)["Lambda-Runtime-Client-Context"] is NSNull)
        }
    }

    @Test func streamedChunksReachTheCallerAsTheyAreWritten() async throws {
        try await Self.withRIE { rie in
            var arrival = StreamArrival()
            for try await part in rie.invoker.stream(rie.request(#"{"action":"stream","chunks":5,"interval":0.4}"#)) {
                if case .body(let bytes) = part { arrival.received(bytes) }
            }
            #expect(arrival.lines.count == 5)
            // Each chunk says when the function wrote it ("chunk N at MILLIS").
            let lastWritten = try #require(arrival.lastWritten)
            let arrived = try #require(arrival.firstArrival)
            #expect(arrived < lastWritten, "the first chunk arrived at \(arrived), the last was written at \(lastWritten)")
        }
    }

    @Test func aTimeoutIsAFunctionErrorAndTheRuntimeIsReplaced() async throws {
        try await Self.withRIE(timeout: .seconds(1)) { rie in
            _ = try await rie.invoke(#"{"action":"echo"}"#)
            let firstPID = await rie.emulator.broker.runtimePID
            let started = ContinuousClock.now
            let response = try await rie.invoke(#"{"action":"sleep","seconds":10}"#)
            #expect(ContinuousClock.now - started < .seconds(3))
            #expect(response.headers["x-amz-function-error"] == "Unhandled")
            let error = Self.json(response.body)
            #expect(error["errorType"] as? String == "Sandbox.Timedout")
            #expect((error["errorMessage"] as? String)?.hasSuffix("Task timed out after 1.00 seconds") == true)
            if let firstPID { #expect(await eventually { kill(firstPID, 0) != 0 }, "the timed-out runtime must be killed") }
            let next = try await rie.invoke(#"{"action":"echo","n":2}"#)
            #expect(next.status == 200 && next.headers["x-amz-function-error"] == nil)
            #expect(await rie.emulator.broker.runtimePID != firstPID)
        }
    }

    @Test func aCrashIsRuntimeExitErrorWithItsStatus() async throws {
        try await Self.withRIE { rie in
            let response = try await rie.invoke(#"{"action":"crash","code":7}"#)
            #expect(response.headers["x-amz-function-error"] == "Unhandled")
            let error = Self.json(response.body)
            #expect(error["errorType"] as? String == "Runtime.ExitError")
            #expect((error["errorMessage"] as? String)?.contains("exit status 7") == true)
            #expect(try await rie.invoke(#"{"action":"echo"}"#).headers["x-amz-function-error"] == nil)
        }
    }

    @Test func aFunctionErrorKeepsTheRuntimesTypeAndTheNextInvokeWorks() async throws {
        try await Self.withRIE { rie in
            let response = try await rie.invoke(#"{"action":"error"}"#)
            #expect(response.headers["x-amz-function-error"] == "Unhandled")
            #expect(Self.json(response.body)["errorType"] as? String == "Oops")
            #expect(Self.json(response.body)["errorMessage"] as? String == "it broke")
            #expect(try await rie.invoke(#"{"action":"echo"}"#).headers["x-amz-function-error"] == nil)
        }
    }

    @Test func anInitErrorReportsTheRuntimesOwnType() async throws {
        try await Self.withRIE(environment: ["FIXTURE_INIT": "error"]) { rie in
            let response = try await rie.invoke(#"{"action":"echo"}"#)
            #expect(response.headers["x-amz-function-error"] == "Unhandled")
            #expect(Self.json(response.body)["errorType"] as? String == "Runtime.ImportModuleError")
            // The failed runtime was stopped; the next invoke starts it again (and fails again).
            let again = try await rie.invoke(#"{}"#)
            #expect(
                Self.json(again.body)["errorType"] as? String == "Runtime.ImportModuleError",
                "status \(again.status) headers \(again.headers) body \(String(decoding: again.body, as: UTF8.self))")
        }
    }

    @Test func aRuntimeThatDiesDuringInitIsAnExitError() async throws {
        try await Self.withRIE(environment: ["FIXTURE_INIT": "crash"]) { rie in
            let response = try await rie.invoke(#"{}"#)
            #expect(Self.json(response.body)["errorType"] as? String == "Runtime.ExitError")
            #expect((Self.json(response.body)["errorMessage"] as? String)?.contains("exit status 3") == true)
        }
    }

    @Test func aSecondInvokeWhileOneIsInFlightGetsAnImmediateClearError() async throws {
        try await Self.withRIE { rie in
            let slow = Task { try await rie.invoke(#"{"action":"sleep","seconds":3}"#) }
            #expect(await eventually { String(decoding: rie.emulator.logs.contents, as: UTF8.self).contains("handling sleep") })
            let started = ContinuousClock.now
            let overlap = try await rie.invoke(#"{"action":"echo"}"#)
            #expect(ContinuousClock.now - started < .seconds(1), "refused at once, not after the 3 s invocation")
            #expect(overlap.status == 429)
            #expect(Self.json(overlap.body)["errorType"] as? String == "Runtime.ConcurrentInvocation")
            let first = try await slow.value
            #expect(first.status == 200 && Self.json(first.body)["slept"] as? Int == 3)
        }
    }

    @Test func runtimeAPIMisuseGetsLambdasStatusCodes() async throws {
        try await Self.withRIE { rie in
            let response = try await rie.invoke(#"{"action":"protocol"}"#)
            // The oversized response never reaches the caller; an error about it does.
            #expect(Self.json(response.body)["errorType"] as? String == "Function.ResponseSizeTooLarge")
            // The fixture prints what the Runtime API answered it.
            func statusLine() -> Substring? {
                String(decoding: rie.emulator.logs.contents, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("statuses ") }
            }
            #expect(await eventually { statusLine() != nil })
            let line = try #require(statusLine())
            let statuses = Self.json(Array(line.dropFirst("statuses ".count).utf8))
            #expect(statuses["unknownId"] as? Int == 400)
            #expect(statuses["tooLarge"] as? Int == 413)
            #expect(statuses["afterAnswer"] as? Int == 403)
        }
    }

    @Test func theLogTailHoldsExactlyThisInvocation() async throws {
        try await Self.withRIE { rie in
            _ = try await rie.invoke(#"{"action":"echo","n":1}"#)
            let response = try await rie.invoke(#"{"action":"echo","n":2}"#, headers: [("X-Amz-Log-Type", "Tail")])
            let tail = String(decoding: Data(base64Encoded: response.headers["x-amz-log-result"] ?? "") ?? Data(), as: UTF8.self)
            let lines = tail.split(separator: "\n")
            #expect(lines.first?.hasPrefix("START RequestId: ") == true)
            #expect(lines.count { $0.hasPrefix("START") } == 1, "only this invocation: \(tail)")
            #expect(lines.contains { $0.hasPrefix("handling echo") })
            #expect(lines.contains { $0.hasPrefix("END RequestId: ") })
            let report = try #require(lines.last { $0.hasPrefix("REPORT RequestId: ") })
            for field in ["Duration: ", "Billed Duration: ", "Memory Size: 256 MB", "Max Memory Used: "] {
                #expect(report.contains(field), "\(report)")
            }
        }
    }

    @Test func stoppingLeavesNoRuntimeProcess() async throws {
        var runtimePID: pid_t?
        try await Self.withRIE { rie in
            _ = try await rie.invoke(#"{}"#)
            runtimePID = await rie.emulator.broker.runtimePID
            #expect(runtimePID.map { kill($0, 0) == 0 } == true)
        }
        let pid = try #require(runtimePID)
        #expect(await eventually { kill(pid, 0) != 0 })
    }
}

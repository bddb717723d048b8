import Foundation
import ShoalRuntimeInterface
import ShoalWorker
import Testing

/// `shoal rie` in process, over real sockets, fronting a real runtime process.
@Suite struct RuntimeInterfaceEmulatorTests {
    struct Harness {
        let emulator: RuntimeInterfaceEmulator
        let serving: Task<Void, any Error>
        let invoker: CurlInvoker

        func invoke(_ json: String, headers: [(String, String)] = [], timeout: Duration = .seconds(30)) async throws -> InstanceResponse {
            try await invoker.send(request(json, headers: headers, timeout: timeout))
        }

        func request(_ json: String, headers: [(String, String)] = [], timeout: Duration = .seconds(30)) -> InstanceRequest {
            InstanceRequest(endpoint: Endpoint(host: "127.0.0.1", port: emulator.invokePort), body: Array(json.utf8), headers: headers, timeout: timeout)
        }

        func stop() async {
            await emulator.stop()
            serving.cancel()
            await invoker.shutdown()
        }
    }

    private func start(timeout: Duration = .seconds(5), environment: [String: String] = [:]) async throws -> Harness {
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
        return Harness(emulator: emulator, serving: serving, invoker: CurlInvoker())
    }

    private func json(_ bytes: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }

    @Test func anInvocationCarriesEveryLambdaHeader() async throws {
        let rie = try await start()
        let response = try await rie.invoke(#"{"action":"headers"}"#, headers: [("Lambda-Runtime-Client-Context", "eyJjIjoxfQ==")])
        #expect(response.status == 200 && response.headers["x-amz-function-error"] == nil)
        let seen = json(response.body)
        #expect((seen["Lambda-Runtime-Aws-Request-Id"] as? String)?.count == 36)
        #expect(seen["Lambda-Runtime-Invoked-Function-Arn"] as? String == "arn:aws:lambda:us-east-1:000000000000:function:fixture")
        #expect((seen["Lambda-Runtime-Trace-Id"] as? String)?.hasPrefix("Root=1-") == true)
        #expect(seen["Lambda-Runtime-Client-Context"] as? String == "eyJjIjoxfQ==")
        let deadline = Int(seen["Lambda-Runtime-Deadline-Ms"] as? String ?? "") ?? 0
        let now = seen["now"] as? Int ?? 0
        #expect(deadline > now && deadline - now <= 5_000, "deadline \(deadline) vs now \(now)")
        await rie.stop()
    }

    @Test func streamedChunksReachTheCallerAsTheyAreWritten() async throws {
        let rie = try await start()
        let started = ContinuousClock.now
        var arrivals: [Duration] = []
        var text = ""
        for try await part in rie.invoker.stream(rie.request(#"{"action":"stream","chunks":5,"interval":0.2}"#)) {
            if case .body(let bytes) = part {
                arrivals.append(ContinuousClock.now - started)
                text += String(decoding: bytes, as: UTF8.self)
            }
        }
        #expect(text.split(separator: "\n").count == 5)
        let first = try #require(arrivals.first)
        let last = try #require(arrivals.last)
        // The last chunk is written about 800 ms after the first: the first must be in hand long before.
        #expect(last - first >= .milliseconds(700), "first \(first), last \(last)")
        await rie.stop()
    }

    @Test func aTimeoutIsAFunctionErrorAndTheRuntimeIsReplaced() async throws {
        let rie = try await start(timeout: .seconds(1))
        _ = try await rie.invoke(#"{"action":"echo"}"#)
        let firstPID = await rie.emulator.broker.runtimePID
        let started = ContinuousClock.now
        let response = try await rie.invoke(#"{"action":"sleep","seconds":10}"#)
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(response.headers["x-amz-function-error"] == "Unhandled")
        let error = json(response.body)
        #expect(error["errorType"] as? String == "Sandbox.Timedout")
        #expect((error["errorMessage"] as? String)?.hasSuffix("Task timed out after 1.00 seconds") == true)
        if let firstPID { #expect(await eventually { kill(firstPID, 0) != 0 }, "the timed-out runtime must be killed") }
        let next = try await rie.invoke(#"{"action":"echo","n":2}"#)
        #expect(next.status == 200 && next.headers["x-amz-function-error"] == nil)
        #expect(await rie.emulator.broker.runtimePID != firstPID)
        await rie.stop()
    }

    @Test func aCrashIsRuntimeExitErrorWithItsStatus() async throws {
        let rie = try await start()
        let response = try await rie.invoke(#"{"action":"crash","code":7}"#)
        #expect(response.headers["x-amz-function-error"] == "Unhandled")
        let error = json(response.body)
        #expect(error["errorType"] as? String == "Runtime.ExitError")
        #expect((error["errorMessage"] as? String)?.contains("exit status 7") == true)
        #expect(try await rie.invoke(#"{"action":"echo"}"#).headers["x-amz-function-error"] == nil)
        await rie.stop()
    }

    @Test func aFunctionErrorKeepsTheRuntimesTypeAndTheNextInvokeWorks() async throws {
        let rie = try await start()
        let response = try await rie.invoke(#"{"action":"error"}"#)
        #expect(response.headers["x-amz-function-error"] == "Unhandled")
        #expect(json(response.body)["errorType"] as? String == "Oops")
        #expect(json(response.body)["errorMessage"] as? String == "it broke")
        #expect(try await rie.invoke(#"{"action":"echo"}"#).headers["x-amz-function-error"] == nil)
        await rie.stop()
    }

    @Test func anInitErrorReportsTheRuntimesOwnType() async throws {
        let rie = try await start(environment: ["FIXTURE_INIT": "error"])
        let response = try await rie.invoke(#"{"action":"echo"}"#)
        #expect(response.headers["x-amz-function-error"] == "Unhandled")
        #expect(json(response.body)["errorType"] as? String == "Runtime.ImportModuleError")
        // The failed runtime was stopped; the next invoke starts it again (and fails again).
        let again = try await rie.invoke(#"{}"#)
        #expect(json(again.body)["errorType"] as? String == "Runtime.ImportModuleError", "status \(again.status) headers \(again.headers) body \(String(decoding: again.body, as: UTF8.self))")
        await rie.stop()
    }

    @Test func aRuntimeThatDiesDuringInitIsAnExitError() async throws {
        let rie = try await start(environment: ["FIXTURE_INIT": "crash"])
        let response = try await rie.invoke(#"{}"#)
        #expect(json(response.body)["errorType"] as? String == "Runtime.ExitError")
        #expect((json(response.body)["errorMessage"] as? String)?.contains("exit status 3") == true)
        await rie.stop()
    }

    @Test func aSecondInvokeWhileOneIsInFlightGetsAnImmediateClearError() async throws {
        let rie = try await start()
        let slow = Task { try await rie.invoke(#"{"action":"sleep","seconds":1}"#) }
        try await Task.sleep(for: .milliseconds(300))
        let started = ContinuousClock.now
        let overlap = try await rie.invoke(#"{"action":"echo"}"#)
        #expect(ContinuousClock.now - started < .milliseconds(300))
        #expect(overlap.status == 429)
        #expect(json(overlap.body)["errorType"] as? String == "Runtime.ConcurrentInvocation")
        let first = try await slow.value
        #expect(first.status == 200 && json(first.body)["slept"] as? Int == 1)
        await rie.stop()
    }

    @Test func runtimeAPIMisuseGetsLambdasStatusCodes() async throws {
        let rie = try await start()
        let response = try await rie.invoke(#"{"action":"protocol"}"#)
        // The oversized response never reaches the caller; an error about it does.
        #expect(json(response.body)["errorType"] as? String == "Function.ResponseSizeTooLarge")
        // The fixture prints what the Runtime API answered it.
        func statusLine() -> Substring? {
            String(decoding: rie.emulator.logs.contents, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("statuses ") }
        }
        #expect(await eventually { statusLine() != nil })
        let line = try #require(statusLine())
        let statuses = json(Array(line.dropFirst("statuses ".count).utf8))
        #expect(statuses["unknownId"] as? Int == 400)
        #expect(statuses["tooLarge"] as? Int == 413)
        #expect(statuses["afterAnswer"] as? Int == 403)
        await rie.stop()
    }

    @Test func theLogTailHoldsExactlyThisInvocation() async throws {
        let rie = try await start()
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
        await rie.stop()
    }

    @Test func stoppingLeavesNoRuntimeProcess() async throws {
        let rie = try await start()
        _ = try await rie.invoke(#"{}"#)
        let pid = try #require(await rie.emulator.broker.runtimePID)
        #expect(kill(pid, 0) == 0)
        await rie.stop()
        #expect(kill(pid, 0) != 0)
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

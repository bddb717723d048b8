import Foundation
import ShoalProtocol
import ShoalTestSupport
import Testing

/// A function's reserved concurrency is the registry's, so it survives a restart of the
/// gateway, and each call carries it to the worker that owns the function, so it holds on
/// whichever worker the ring gives the function.
@Suite(.serialized) struct ReservedConcurrencyTests {
    /// The throttle a synchronous call over the reservation gets.
    static func isThrottle(_ error: any Error) -> Bool {
        guard let error = error as? RPCError else { return false }
        return error.code == .tooManyRequests && error.data?.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    }

    @Test func aReservationSurvivesARestartAndHoldsOnTheFunctionsNextOwner() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-reserved-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await ShoalUp.start(workers: 2, backend: "scripted", dataDirectory: directory)
        let client = try await first.connect()
        try await client.createFunction("held", runtime: "provided.al2023", handler: "bootstrap", files: ["bootstrap": "#!/bin/sh\n"])
        _ = try await client.invoke("held", #"{"tag": "warm"}"#)
        let put = try await client.call(ClientAPI.PutFunctionConcurrency.self, .init(functionName: "held", reservedConcurrentExecutions: 0))
        #expect(put.reservedConcurrentExecutions == 0)
        await #expect { try await client.invoke("held", #"{"tag": "zero"}"#) } throws: { Self.isThrottle($0) }
        await client.close()
        #expect(await first.stop() == .status(0))

        let second = try await ShoalUp.start(workers: 2, backend: "scripted", dataDirectory: directory)
        let again = try await second.connect()
        #expect(try await again.call(ClientAPI.GetFunctionConcurrency.self, .init(functionName: "held")).reservedConcurrentExecutions == 0)
        await #expect { try await again.invoke("held", #"{"tag": "after restart"}"#) } throws: { Self.isThrottle($0) }

        // The owner dies: the function's next owner throttles it too.
        let owner = try await again.call(ClientAPI.FunctionOwner.self, .init(functionName: "held")).worker
        let workers = try await again.call(ClientAPI.WorkersList.self, Empty()).workers
        let victim = try #require(workers.first { $0.id == owner }?.pid)
        kill(pid_t(victim), SIGKILL)
        let moved = await eventually(timeout: .seconds(5)) {
            (try? await again.call(ClientAPI.FunctionOwner.self, .init(functionName: "held")).worker).map { $0 != owner } ?? false
        }
        #expect(moved, "the function moved off its dead owner")
        await #expect { try await again.invoke("held", #"{"tag": "next owner"}"#) } throws: { Self.isThrottle($0) }

        _ = try await again.call(ClientAPI.DeleteFunctionConcurrency.self, .init(functionName: "held"))
        #expect(try await again.invoke("held", #"{"tag": "free"}"#).result.functionError == nil)
        await again.close()
        #expect(await second.stop() == .status(0))
    }
}

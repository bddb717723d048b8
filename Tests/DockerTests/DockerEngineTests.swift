import Foundation
import Testing

@testable import ShoalDocker

/// The Engine API client against the real engine (scripts/test starts one where it can).
struct DockerEngineTests {
    static let engineReady = ProcessInfo.processInfo.environment["SHOAL_TEST_DOCKER"] == "1"

    @Test(.enabled(if: engineReady, "no Docker engine runs here (scripts/test starts one where it can); skipped"))
    func aPullThatFailsCarriesTheEnginesMessageAndAMissingImageIsNil() async throws {
        let engine = try await DockerEngine(.init())
        #expect(engine.prefix.hasPrefix("/v1."))
        #expect(try await engine.inspectImage("127.0.0.1:9/shoal/missing:1") == nil)
        // A registry on a loopback port nothing listens on: the engine fails the pull at once.
        await #expect(throws: DockerError.self) { try await engine.pullImage("127.0.0.1:9/shoal/missing:1") }
        do {
            try await engine.pullImage("127.0.0.1:9/shoal/missing:1")
        } catch {
            #expect(error.message.contains("127.0.0.1:9"), "\(error.message)")
        }
        await engine.shutdown()
    }

    @Test func aSocketThatIsMissingIsUnreachableAtConnect() async {
        await #expect(throws: DockerError.self) { try await DockerEngine(.init(host: "unix:///nonexistent/docker.sock")) }
        await #expect(throws: DockerError.self) { try await DockerEngine(.init(host: "tcp://127.0.0.1:2375")) }
    }
}

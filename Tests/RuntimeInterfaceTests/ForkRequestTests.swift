import Foundation
import Testing

@testable import ShoalRuntimeInterface

/// The fork server's request line: one JSON object on one line, as the server reads it.
@Suite struct ForkRequestTests {
    let command = RuntimeProcess.Command(
        executable: "/usr/bin/python3", arguments: ["-m", "awslambdaric", "app.handler"],
        environment: ["MY_VAR": "line\nbreak \"quoted\" ✓", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"], workingDirectory: "/var/task")

    func decode(_ line: [UInt8]) throws -> [String: Any] {
        #expect(line.last == UInt8(ascii: "\n") && line.dropLast().contains(UInt8(ascii: "\n")) == false)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.dropLast())) as? [String: Any])
    }

    @Test func carriesTheCommandEnvironmentAndCgroup() throws {
        let request = try decode(RuntimeProcess.requestLine(command, memoryLimit: MemoryLimit(megabytes: 128, cgroup: "/sys/fs/cgroup/memory/x")))
        #expect(request["argv"] as? [String] == ["/usr/bin/python3", "-m", "awslambdaric", "app.handler"])
        #expect(request["env"] as? [String: String] == command.environment)
        #expect(request["cwd"] as? String == "/var/task")
        #expect(request["cgroup"] as? String == "/sys/fs/cgroup/memory/x" && request["dataLimit"] == nil)
    }

    @Test func withoutACgroupTheLimitIsInBytesAndWithoutALimitNeither() throws {
        let limited = try decode(RuntimeProcess.requestLine(command, memoryLimit: MemoryLimit(megabytes: 256)))
        #expect(limited["dataLimit"] as? Int == 256 * 1024 * 1024 && limited["cgroup"] == nil)
        let unlimited = try decode(RuntimeProcess.requestLine(command, memoryLimit: nil))
        #expect(unlimited["dataLimit"] == nil && unlimited["cgroup"] == nil)
    }

    @Test func noServerAtThePathMeansNoConnection() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-no-server-\(UUID().uuidString).sock").path
        #expect(RuntimeProcess.requestFork(command, server: .init(socketPath: path), outputFD: 1, errorFD: 2) == nil)
    }
}

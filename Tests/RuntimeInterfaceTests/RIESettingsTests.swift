import ArgumentParser
import Testing

@testable import ShoalRIE

/// `shoal-rie` reads a worker's command line by hand; what it reads must be what ArgumentParser
/// reads from the same line, and anything it does not fully understand goes to ArgumentParser.
@Suite struct RIESettingsTests {
    static let understood: [[String]] = [
        [
            "--port", "0", "--timeout", "3", "--memory", "128", "--function-name=-dash-first", "--working-directory", "/data/code",
            "--init-at-start", "--memory-cgroup", "/sys/fs/cgroup/memory/shoal/w/i", "--fork-server", "/tmp/s/python-0.sock",
            "--", "/usr/bin/python3", "-m", "awslambdaric", "app.handler",
        ],
        [
            "--port", "8081", "--host", "0.0.0.0", "--runtime-api-port", "9001", "--limit-memory", "true", "--timeout=2.5", "--",
            "/var/task/bootstrap",
        ],
        ["--function-name", "plain", "--", "node", "/r/loop.js", "--", "extra"],
        ["--"],
    ]

    @Test(arguments: understood)
    func aWorkersLineReadsAsArgumentParserReadsIt(arguments: [String]) throws {
        let fast = try #require(RIESettings(workerArguments: arguments))
        #expect(fast == (try RIECommand.parse(arguments)).settings)
    }

    @Test func theRestGoesToArgumentParser() {
        for arguments in [
            ["--help"], ["-h"], ["--port", "0"], ["--port", "x", "--", "a"], ["--port", "--", "a"], ["--port", "1", "--port", "2", "--", "a"],
            ["--limit-memory", "yes", "--", "a"], ["--unknown", "v", "--", "a"], ["--init-at-start", "--init-at-start", "--", "a"],
            ["python3"],
        ] {
            #expect(RIESettings(workerArguments: arguments) == nil, "\(arguments)")
        }
    }
}

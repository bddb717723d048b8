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

    /// What a worker writes (both backends build their emulator's line this way) reads back
    /// the same by hand and by ArgumentParser, a name that starts with "-" included.
    @Test func whatAWorkerWritesReadsBackTheSame() throws {
        let written = [
            RIESettings(
                port: 0, timeout: 3, memory: 128, functionName: "-dash-first", workingDirectory: "/data/code",
                memoryCgroup: "/sys/fs/cgroup/shoal/w/i", forkServer: "/tmp/s/python-0.sock", initAtStart: true,
                command: ["/usr/bin/python3", "-m", "awslambdaric", "app.handler"]),
            RIESettings(
                host: "0.0.0.0", timeout: 2.5, memory: 1769, functionName: "f", workingDirectory: "/var/task", limitMemory: true,
                command: ["/lambda-entrypoint.sh", "app.handler", "--", "x"]),
            RIESettings(),
        ]
        for settings in written {
            let line = settings.workerArguments
            #expect(RIESettings(workerArguments: line) == settings, "\(line)")
            #expect((try RIECommand.parse(line)).settings == settings, "\(line)")
        }
        #expect(written[0].workerArguments.prefix(3) == ["--port=0", "--timeout=3", "--memory=128"])
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

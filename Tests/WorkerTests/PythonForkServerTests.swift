import Foundation
import ShoalProtocol
import ShoalRuntimeInterface
import ShoalTestSupport
import Testing

@testable import ShoalWorker

/// Python runtimes forked from the worker's fork server behave as freshly started ones: real
/// instances through the real pool, on the bundled loop and on awslambdaric.
@Suite(.serialized) struct PythonForkServerTests {
    typealias Harness = ProcessBackendTests.Harness

    /// A function that reports what an instance sees, and marks (in the file `MARKS`) every
    /// process that imports its module or its layer's.
    static let probe = """
        import json, os, string, subprocess, sys, time
        with open(os.environ["MARKS"], "a") as marks:
            marks.write("app %d\\n" % os.getpid())
        import shoal_mark
        count = 0
        def handler(event, context):
            global count
            count += 1
            action = event.get("action")
            if action == "sleep":
                time.sleep(event["seconds"])
            if action == "patch":
                string.capwords = lambda text, sep=None: "patched"
            if action == "child":
                return {"child": subprocess.Popen(["sleep", "300"]).pid}
            if action == "print":
                print("to stdout")
                print("to stderr", file=sys.stderr)
            with open("/proc/self/cgroup") as cgroup:
                groups = cgroup.read()
            return {"count": count, "pid": os.getpid(), "ppid": os.getppid(), "sid": os.getsid(0), "pgid": os.getpgid(0),
                    "env": {name: os.environ.get(name) for name in ("ONLY_A", "ONLY_B")}, "capwords": string.capwords("a b"),
                    "cgroup": groups, "cwd": os.getcwd(), "path0": sys.path[0], "layer": shoal_mark.VALUE}
        """
    static let layer = """
        import os
        with open(os.environ["MARKS"], "a") as marks:
            marks.write("layer %d\\n" % os.getpid())
        VALUE = "layer"
        """

    /// The clients to run on: the bundled loop always, awslambdaric where the test venv has it.
    static let clients: [String] = ["bundled"] + (ProcessInfo.processInfo.environment["SHOAL_TEST_PYTHON"] != nil ? ["awslambdaric"] : [])

    static func python(for client: String) -> String? {
        client == "awslambdaric" ? ProcessInfo.processInfo.environment["SHOAL_TEST_PYTHON"] : nil
    }

    static func define(_ harness: Harness, _ name: String, marks: String, environment: [String: String] = [:]) async throws {
        try await harness.define(
            name, runtime: "python3.12", handler: "app.handler", code: [.file("app.py", probe)],
            layers: [[.file("python/shoal_mark.py", layer)]], environment: environment.merging(["MARKS": marks]) { $1 })
    }

    static func call(_ harness: Harness, _ name: String, _ event: String = "{}") async throws -> [String: Any] {
        let (outcome, body) = try await harness.invoke(name, event)
        #expect(outcome.headers["x-amz-function-error"] == nil, "\(body)")
        return body
    }

    static func commandLine(of pid: Int) -> String {
        ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").replacingOccurrences(of: "\0", with: " ")
    }

    @Test(arguments: clients)
    func forkedInstancesShareNothingAndKeepTheRulesOfAFreshProcess(client: String) async throws {
        let marks = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-marks-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: marks) }
        try await ProcessBackendTests.withHarness(python: Self.python(for: client), pythonClient: client) { harness in
            try await Self.define(harness, "fa", marks: marks, environment: ["ONLY_A": "a"])
            try await Self.define(harness, "fb", marks: marks, environment: ["ONLY_B": "b"])
            // Two instances of one function at once: each starts its module from scratch.
            async let first = Self.call(harness, "fa", #"{"action":"sleep","seconds":0.5}"#)
            async let second = Self.call(harness, "fa", #"{"action":"sleep","seconds":0.5}"#)
            let (a1, a2) = try await (first, second)
            #expect(a1["count"] as? Int == 1 && a2["count"] as? Int == 1, "module state is per instance")
            let (pid1, pid2) = (try #require(a1["pid"] as? Int), try #require(a2["pid"] as? Int))
            #expect(pid1 != pid2)
            // Forked by the fork server (their parent), which is the same for both.
            let server = try #require(a1["ppid"] as? Int)
            #expect(a2["ppid"] as? Int == server)
            #expect(Self.commandLine(of: server).contains(PythonForkServer.fileName), "\(Self.commandLine(of: server))")
            // A session and process group of its own, as the instance's leader.
            #expect(a1["sid"] as? Int == pid1 && a1["pgid"] as? Int == pid1)
            #expect((a1["cwd"] as? String)?.hasSuffix("/code") == true)
            #expect(a1["path0"] as? String == (client == "awslambdaric" ? a1["cwd"] as? String : harness.backend.catalog.runtimeDirectory.path))
            #expect(a1["layer"] as? String == "layer")
            if FileManager.default.fileExists(atPath: MemoryCgroups.shoalRoot) {
                #expect((a1["cgroup"] as? String)?.contains("/shoal/worker-") == true, "joined its instance's memory cgroup: \(a1["cgroup"] ?? "")")
            }
            // Each function sees its own environment and nothing of the other's.
            let env = a1["env"] as? [String: Any] ?? [:]
            #expect(env["ONLY_A"] as? String == "a" && env["ONLY_B"] is NSNull)
            let b = try await Self.call(harness, "fb", #"{"action":"patch"}"#)
            let otherEnv = b["env"] as? [String: Any] ?? [:]
            #expect(otherEnv["ONLY_A"] is NSNull && otherEnv["ONLY_B"] as? String == "b")
            #expect(b["capwords"] as? String == "patched")
            // A patched standard-library module stays patched in that instance alone.
            #expect(try await Self.call(harness, "fb")["capwords"] as? String == "patched")
            #expect(try await Self.call(harness, "fa")["capwords"] as? String == "A B")
            try await Self.define(harness, "fc", marks: marks)
            let fresh = try await Self.call(harness, "fc")
            #expect(fresh["capwords"] as? String == "A B" && fresh["count"] as? Int == 1)
            // stdout and stderr reach the invocation's log tail.
            let tailed = try await harness.pools.invoke("fa", payload: Array(#"{"action":"print"}"#.utf8), headers: [("X-Amz-Log-Type", "Tail")])
            let tail = String(decoding: Data(base64Encoded: tailed.headers["x-amz-log-result"] ?? "") ?? Data(), as: UTF8.self)
            #expect(tail.contains("to stdout") && tail.contains("to stderr"), "\(tail)")
            // Only instances ever imported the function's module and its layer: never the server.
            let instances = Set([pid1, pid2, try #require(b["pid"] as? Int), try #require(fresh["pid"] as? Int)])
            let marked = try String(contentsOfFile: marks, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ") }
            #expect(marked.count == 8, "\(marked)")
            #expect(Set(marked.compactMap { Int($0[1]) }) == instances, "\(marked)")
            // What an instance starts ends with it.
            let child = try #require(try await Self.call(harness, "fc", #"{"action":"child"}"#)["child"] as? Int)
            #expect(kill(pid_t(child), 0) == 0)
            await harness.pools.shutdown()
            #expect(await eventually { kill(pid_t(child), 0) != 0 }, "the instance's child outlived it")
            #expect(await eventually { instances.allSatisfy { kill(pid_t($0), 0) != 0 } })
        }
    }

    @Test func aKilledForkServerIsRestartedAndColdStartsSpawnMeanwhile() async throws {
        let marks = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-marks-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: marks) }
        try await ProcessBackendTests.withHarness { harness in
            try await Self.define(harness, "warm", marks: marks)
            let before = try await Self.call(harness, "warm")
            let server = try #require(before["ppid"] as? Int)
            #expect(kill(pid_t(server), SIGKILL) == 0)
            // The warm instance keeps its runtime.
            let after = try await Self.call(harness, "warm")
            #expect(after["pid"] as? Int == before["pid"] as? Int && after["count"] as? Int == 2)
            // A cold start while the server is down (or just back) works either way.
            try await Self.define(harness, "cold", marks: marks)
            #expect(try await Self.call(harness, "cold")["count"] as? Int == 1)
            // And the server comes back: later cold starts are forked by its successor.
            var index = 0
            let restarted = await eventually(timeout: .seconds(10)) {
                index += 1
                guard (try? await Self.define(harness, "later\(index)", marks: marks)) != nil,
                    let parent = try? await Self.call(harness, "later\(index)")["ppid"] as? Int
                else { return false }
                return parent != server && Self.commandLine(of: parent).contains(PythonForkServer.fileName)
            }
            #expect(restarted)
        }
    }

    /// Many instances stopped at once: runtime exits and their emulators' hang-ups reach the
    /// server together (one select round may hold both for one connection); it keeps serving.
    @Test func theServerOutlivesManyInstancesStoppingAtOnce() async throws {
        let marks = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-marks-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: marks) }
        try await ProcessBackendTests.withHarness { harness in
            try await Self.define(harness, "many", marks: marks)
            for _ in 0..<5 {
                // Each call's (pid, parent).
                let started = try await withThrowingTaskGroup(of: [Int].self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            let body = try await Self.call(harness, "many", #"{"action":"sleep","seconds":0.3}"#)
                            return [body["pid"] as? Int ?? 0, body["ppid"] as? Int ?? 0]
                        }
                    }
                    return try await group.reduce(into: [[Int]]()) { $0.append($1) }
                }
                let servers = Set(started.map { $0[1] })
                #expect(servers.count == 1, "one fork server started them all: \(servers)")
                let pids = started.map { $0[0] }
                #expect(await harness.pools.evict("many"))
                #expect(await eventually { pids.allSatisfy { kill(pid_t($0), 0) != 0 } })
                let server = try #require(servers.first)
                #expect(kill(pid_t(server), 0) == 0, "the fork server survived its runtimes' stop")
                let next = try await Self.call(harness, "many")
                #expect(next["ppid"] as? Int == server, "the next cold start is forked by the same server")
                #expect(await harness.pools.evict("many"))
            }
        }
    }

    /// Bad input: a request the server does not run, or a line that is not one, is refused
    /// with a reason; the runtime is spawned by the one that asked, and the server serves on.
    @Test func aRequestTheServerDoesNotRunIsRefusedAndSpawnedInstead() async throws {
        try await ProcessBackendTests.withHarness { harness in
            let function = FunctionDefinition(name: "probe", runtime: "python3.12", handler: "app.handler", codeSHA256: "c")
            let code = harness.directory.appendingPathComponent("refusal-code")
            let runtime = try await harness.backend.catalog.command(for: function, codeDirectory: code)
            let servers = try PythonForkServers(runtimeDirectory: harness.backend.catalog.runtimeDirectory)
            let socket = try #require(await servers.socket(for: runtime))
            let server = ProcessScan.commandLines(containing: socket)
            #expect(server.count == 1, "\(server)")
            // A command of the same interpreter that is not the runtime client: refused, spawned.
            let logs = LogBuffer(capacity: 4096)
            let other = RuntimeProcess(
                .init(
                    executable: runtime[0], arguments: ["-c", "import os; print('parent', os.getppid())"], environment: [:], workingDirectory: "/"),
                logs: logs, forkServer: .init(socketPath: socket))
            #expect(await other.exited == .status(0))
            #expect(String(decoding: logs.contents, as: UTF8.self).contains("parent \(getpid())"), "spawned by the asker")
            // A line that is not a request, with no descriptors: an error reply.
            let replies = LogBuffer(capacity: 4096)
            let client = RuntimeProcess(
                .init(
                    executable: runtime[0],
                    arguments: [
                        "-c",
                        "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b'not json\\n'); print(s.makefile().readline())",
                        socket,
                    ], environment: [:], workingDirectory: "/"),
                logs: replies)
            #expect(await client.exited == .status(0))
            #expect(
                String(decoding: replies.contents, as: UTF8.self).contains(#"{"error": "#), "\(String(decoding: replies.contents, as: UTF8.self))")
            // The same server serves on.
            #expect(ProcessScan.commandLines(containing: socket) == server)
            await servers.stopAll()
        }
    }

    @Test func offStartsEachRuntimeFromItsEmulator() async throws {
        let marks = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-marks-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: marks) }
        try await ProcessBackendTests.withHarness(forkServer: false) { harness in
            try await Self.define(harness, "plain", marks: marks)
            let body = try await Self.call(harness, "plain")
            let parent = try #require(body["ppid"] as? Int)
            #expect(Self.commandLine(of: parent).contains("rie"), "\(Self.commandLine(of: parent))")
            #expect(body["sid"] as? Int == parent, "a spawned runtime stays in its emulator's session")
        }
    }

    @Test func onlyTheRuntimeClientsOwnCommandsAreForked() {
        let loop = "/data/runtimes/\(PythonRuntimeLoop.fileName)"
        #expect(
            PythonForkServers.key(for: ["/usr/bin/python3", "-m", "awslambdaric", "app.handler"])
                == .init(python: "/usr/bin/python3", client: "awslambdaric"))
        #expect(PythonForkServers.key(for: ["/usr/bin/python3", "-u", loop]) == .init(python: "/usr/bin/python3", client: loop))
        #expect(PythonForkServers.key(for: ["/usr/bin/python3", "-u", "/elsewhere/script.py"]) == nil)
        #expect(PythonForkServers.key(for: ["/usr/bin/node", "/data/runtimes/loop.js"]) == nil)
        #expect(PythonForkServers.key(for: ["/var/task/bootstrap"]) == nil)
        #expect(PythonForkServers.key(for: []) == nil)
    }
}

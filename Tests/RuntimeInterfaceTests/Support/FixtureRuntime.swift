import Foundation
import ShoalRuntimeInterface

/// A runtime written against the raw Runtime API (Python's standard library only), scripted
/// by each event's "action", so the RIE can be tested against a real separate process doing
/// exactly what a test needs: answer, sleep, crash, fail, stream, misbehave.
enum FixtureRuntime {
    static let script = #"""
        import http.client, json, os, sys, time
        host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
        conn = http.client.HTTPConnection(host, int(port))
        def call(method, path, body=None, headers=None):
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r, r.read()
        base = "/2018-06-01/runtime"
        mode = os.environ.get("FIXTURE_INIT")
        if mode == "error":
            call("POST", base + "/init/error", json.dumps({"errorMessage": "No module named 'app'", "errorType": "Runtime.ImportModuleError"}),
                 {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
            time.sleep(30)
        if mode == "crash":
            sys.exit(3)
        print("runtime pid", os.getpid(), flush=True)
        while True:
            r, data = call("GET", base + "/invocation/next")
            rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
            event = json.loads(data)
            action = event.get("action", "echo")
            print("handling", action, rid, flush=True)
            respond = base + "/invocation/" + rid + "/response"
            if action == "sleep":
                time.sleep(event["seconds"])
                call("POST", respond, json.dumps({"slept": event["seconds"]}))
            elif action == "crash":
                os._exit(event.get("code", 7))
            elif action == "error":
                call("POST", base + "/invocation/" + rid + "/error", json.dumps({"errorMessage": "it broke", "errorType": "Oops"}),
                     {"Lambda-Runtime-Function-Error-Type": "Function.Oops"})
            elif action == "headers":
                seen = {name: r.getheader(name) for name in ["Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Deadline-Ms",
                        "Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id", "Lambda-Runtime-Client-Context",
                        "Lambda-Runtime-Cognito-Identity"]}
                seen["now"] = int(time.time() * 1000)
                call("POST", respond, json.dumps(seen))
            elif action == "stream":
                conn.putrequest("POST", respond)
                conn.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                for i in range(event["chunks"]):
                    chunk = ("chunk %d at %d\n" % (i, int(time.time() * 1000))).encode()
                    conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    time.sleep(event["interval"])
                conn.send(b"0\r\n\r\n")
                conn.getresponse().read()
            elif action == "protocol":
                statuses = {}
                statuses["unknownId"] = call("POST", base + "/invocation/not-a-request/response", "{}")[0].status
                big = b"x" * (6 * 1024 * 1024 + 1)
                statuses["tooLarge"] = call("POST", respond, big)[0].status
                statuses["afterAnswer"] = call("POST", respond, json.dumps({"late": True}))[0].status
                print("statuses", json.dumps(statuses), flush=True)
            else:
                call("POST", respond, json.dumps({"echo": event}))
        """#

    /// Writes the script and returns the command that runs it. Every test shares one
    /// directory (the script never changes within a run, and each write replaces the file
    /// atomically), so runs of the suite leave one directory behind, not one per test.
    static func command(environment: [String: String] = [:]) throws -> RuntimeProcess.Command {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-rie-fixture")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("runtime.py")
        try script.write(to: path, atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        return RuntimeProcess.Command(executable: python3, arguments: ["-u", path.path], environment: env, workingDirectory: directory.path)
    }

    static var python3: String {
        for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "/usr/bin/env"
    }
}

import Crypto
import Foundation
import ShoalProtocol
import ShoalWorker
import ZIPFoundation

/// Cold and warm invokes of real runtimes on the process backend: for each runtime, `cold`
/// fresh functions (new code, so a new deploy is unpacked) are created and invoked once, from
/// `function.put` to the first answer; then the last one is invoked `warm` times directly at
/// its RIE endpoint and `warm` times through the worker, alternating phases, in one run.
struct RuntimeBenchmark {
    struct Case {
        var label: String
        var runtime: String
        var handler: String
        var files: (_ salt: Int) -> [(String, String, UInt16)]
        var workerArguments: [String]
    }

    var cold: Int
    var warm: Int
    var python: String?

    static let providedBootstrap = """
        #!/usr/bin/env python3
        import http.client, os
        host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
        conn = http.client.HTTPConnection(host, int(port))
        while True:
            conn.request("GET", "/2018-06-01/runtime/invocation/next")
            response = conn.getresponse()
            body = response.read()
            request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
            conn.request("POST", "/2018-06-01/runtime/invocation/%s/response" % request_id, body)
            conn.getresponse().read()
        """

    func cases() -> [Case] {
        var cases = [
            Case(
                label: "python3.12, bundled loop", runtime: "python3.12", handler: "app.handler",
                files: { [("app.py", "# \($0)\ndef handler(event, context):\n    return event\n", 0o644)] },
                workerArguments: ["--python-client", "bundled"])
        ]
        if let python {
            cases.append(
                Case(
                    label: "python3.12, awslambdaric", runtime: "python3.12", handler: "app.handler",
                    files: { [("app.py", "# \($0)\ndef handler(event, context):\n    return event\n", 0o644)] },
                    workerArguments: ["--python-client", "awslambdaric", "--python", python]))
        }
        cases.append(
            Case(
                label: "nodejs20.x, bundled loop", runtime: "nodejs20.x", handler: "index.handler",
                files: { [("index.js", "// \($0)\nexports.handler = async (event) => event;\n", 0o644)] },
                workerArguments: []))
        cases.append(
            Case(
                label: "provided.al2023 (python bootstrap)", runtime: "provided.al2023", handler: "unused",
                files: { [("bootstrap", Self.providedBootstrap + "# \($0)\n", 0o755)] },
                workerArguments: []))
        return cases
    }

    func run() async throws -> String {
        var lines = [
            "shoal-bench runtimes: \(cold) cold starts (function.put of fresh code to first answer) and \(warm) sequential warm invokes per path, per runtime"
        ]
        for benchCase in cases() {
            let worker = BenchChild(arguments: ["worker", "--port", "0"] + benchCase.workerArguments)
            do {
                lines += try await measure(benchCase, worker: worker)
            } catch {
                lines.append("  \(benchCase.label): failed: \(error)")
            }
            await worker.stop()
        }
        return lines.joined(separator: "\n")
    }

    private func measure(_ benchCase: Case, worker: BenchChild) async throws -> [String] {
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: try await worker.readyPort())
        defer { Task { await client.close() } }
        _ = try await client.call(WorkerAPI.Hello.self, .init(token: nil))
        let clock = ContinuousClock()
        let payload = Data(#"{"n":1}"#.utf8)
        var coldSamples: [Duration] = []
        var name = ""
        for salt in 0..<cold {
            name = "bench-\(salt)"
            let zip = try Self.zip(benchCase.files(salt))
            let sha = SHA256.hash(data: zip).map { String(format: "%02x", $0) }.joined()
            _ = try await client.call(WorkerAPI.PutArtifact.self, .init(sha256: sha, zipFile: zip.base64EncodedString()))
            let started = clock.now
            let function = FunctionDefinition(name: name, runtime: benchCase.runtime, handler: benchCase.handler, codeSHA256: sha)
            _ = try await client.call(WorkerAPI.PutFunction.self, .init(function: function))
            let result = try await client.call(WorkerAPI.Invoke.self, .init(functionName: name, payload: payload.base64EncodedString()))
            coldSamples.append(clock.now - started)
            guard result.coldStart, result.functionError == nil, Self.sameJSON(Data(base64Encoded: result.payload), payload) else {
                throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "cold invoke of \(name) answered \(result)"])
            }
        }
        guard let endpoint = try await client.call(WorkerAPI.WarmList.self, Empty()).instances.first(where: { $0.functionName == name })?.endpoint,
            let port = Int(endpoint.split(separator: ":").last ?? "")
        else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "no warm instance for \(name)"])
        }
        let invoker = InstanceClient()
        defer { Task { await invoker.shutdown() } }
        let direct = InstanceRequest(endpoint: Endpoint(host: "127.0.0.1", port: port), body: Array(payload), timeout: .seconds(10))
        let params = WorkerAPI.InvokeParams(functionName: name, payload: payload.base64EncodedString())
        var directSamples: [Duration] = []
        var workerSamples: [Duration] = []
        // Alternate in blocks so both paths see the same machine conditions.
        for block in 0..<(warm / 100) {
            for _ in 0..<100 {
                let began = clock.now
                let response = try await invoker.send(direct)
                if block > 0 { directSamples.append(clock.now - began) }
                precondition(Self.sameJSON(Data(response.body), payload), "direct: wrong answer")
            }
            for _ in 0..<100 {
                let began = clock.now
                _ = try await client.call(WorkerAPI.Invoke.self, params)
                if block > 0 { workerSamples.append(clock.now - began) }
            }
        }
        let coldSummary = LatencySummary(samples: coldSamples, elapsed: .seconds(1))
        let directSummary = LatencySummary(samples: directSamples, elapsed: .seconds(1))
        let workerSummary = LatencySummary(samples: workerSamples, elapsed: .seconds(1))
        func ms(_ duration: Duration) -> String {
            String(format: "%.1f ms", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000)
        }
        func us(_ duration: Duration) -> String { "\(LatencySummary.micros(duration)) µs" }
        return [
            "  \(benchCase.label):",
            "    cold start        p50 \(ms(coldSummary.p50)), p99 \(ms(coldSummary.p99)) (n=\(coldSamples.count))",
            "    warm, direct      p50 \(us(directSummary.p50)), p99 \(us(directSummary.p99)) (n=\(directSamples.count))",
            "    warm, via worker  p50 \(us(workerSummary.p50)), p99 \(us(workerSummary.p99)); added p50 \(us(workerSummary.p50 - directSummary.p50))",
        ]
    }

    /// Runtimes re-encode the echoed event (Python adds spaces): compare it as JSON.
    static func sameJSON(_ a: Data?, _ b: Data) -> Bool {
        guard let a, let left = try? JSONSerialization.jsonObject(with: a) as? NSDictionary,
            let right = try? JSONSerialization.jsonObject(with: b) as? NSDictionary
        else { return false }
        return left == right
    }

    static func zip(_ files: [(String, String, UInt16)]) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (path, content, permissions) in files {
            let data = Data(content.utf8)
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(data.count), permissions: permissions,
                compressionMethod: .deflate
            ) { (position: Int64, size: Int) in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return archive.data ?? Data()
    }
}

import NIOCore
import Testing

@testable import ShoalWorker

/// The hand-written HTTP/1.1 request every invoke sends to its instance.
@Suite struct InstanceRequestEncodingTests {
    private func request(headers: [(String, String)], body: String = #"{"a":1}"#) -> InstanceRequest {
        InstanceRequest(endpoint: Endpoint(host: "127.0.0.1", port: 9001), body: Array(body.utf8), headers: headers, timeout: .seconds(3))
    }

    @Test func aRequestIsItsHeadThenItsBodyInOneBuffer() throws {
        let encoded = try #require(
            request(headers: [("X-Amz-Log-Type", "Tail"), ("Lambda-Runtime-Client-Context", "eyJhIjoxfQ==")])
                .encoded(allocator: ByteBufferAllocator()))
        #expect(
            String(buffer: encoded) == """
                POST /2015-03-31/functions/function/invocations HTTP/1.1\r
                Host: 127.0.0.1:9001\r
                Content-Length: 7\r
                X-Amz-Log-Type: Tail\r
                Lambda-Runtime-Client-Context: eyJhIjoxfQ==\r
                \r
                {"a":1}
                """)
        let empty = try #require(request(headers: [], body: "").encoded(allocator: ByteBufferAllocator()))
        #expect(String(buffer: empty).hasSuffix("Content-Length: 0\r\n\r\n"))
    }

    @Test func aHeaderOrPathThatCouldSplitTheRequestIsRefused() {
        let splitting: [(String, String)] = [
            ("X-Ok", "a\r\nInjected: 1"), ("X-Ok", "a\nb"), ("X-Ok", "a\rb"), ("X-Ok", "a\u{0}b"),
            ("Bad Name", "v"), ("Bad:Name", "v"), ("", "v"), ("Bad\r\nName", "v"),
        ]
        for header in splitting {
            #expect(request(headers: [header]).encoded(allocator: ByteBufferAllocator()) == nil, "\(header) was encoded")
        }
        for path in ["/a b", "/a\r\nX-Injected: 1", ""] {
            var bad = request(headers: [])
            bad.path = path
            #expect(bad.encoded(allocator: ByteBufferAllocator()) == nil, "path \(path) was encoded")
        }
        #expect(request(headers: [("X-Ok!#$%&'*+-.^_`|~09", "any text, even \t tabs and ünïcode")]).encoded(allocator: ByteBufferAllocator()) != nil)
    }

    @Test func aRefusedRequestNeverReachesTheInstanceAndTheNextOneDoes() async throws {
        let ledger = InstanceLedger()
        let server = try await ScriptedInstanceServer.start(instanceID: "s", ledger: ledger)
        let invoker = InstanceClient()
        let endpoint = Endpoint(host: "127.0.0.1", port: server.port)
        let warm = try await invoker.send(InstanceRequest(endpoint: endpoint, body: Array(#"{"tag":"first"}"#.utf8), timeout: .seconds(5)))
        #expect(warm.status == 200)
        let refused = await #expect(throws: WorkerError.self) {
            try await invoker.send(
                InstanceRequest(
                    endpoint: endpoint, body: Array(#"{"tag":"evil"}"#.utf8),
                    headers: [("Lambda-Runtime-Client-Context", "x\r\nX-Injected: 1")], timeout: .seconds(5)))
        }
        #expect(refused?.code == .notDelivered)
        let after = try await invoker.send(InstanceRequest(endpoint: endpoint, body: Array(#"{"tag":"after"}"#.utf8), timeout: .seconds(5)))
        #expect(after.status == 200)
        #expect(ledger.executions == ["first", "after"])
        #expect(ledger.requestsPerConnection.reduce(0, +) == 2, "the instance received no third request")
        await invoker.shutdown()
        await server.stop()
    }
}

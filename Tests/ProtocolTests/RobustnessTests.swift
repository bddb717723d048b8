import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import ShoalProtocol

/// Random and mutated frames into a live server: it must answer or close, never crash or hang,
/// and serve a fresh client correctly afterwards.
@Suite struct RobustnessTests {
    /// Well-formed messages that mutations start from.
    private static let seeds: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"text":"hello"}}"#,
        #"{"jsonrpc":"2.0","id":"abc","method":"test.echo","params":{"text":"héllo ✓","delayMicroseconds":0}}"#,
        #"{"jsonrpc":"2.0","method":"test.chunk","params":{"seq":3}}"#,
        #"{"jsonrpc":"2.0","method":"$/cancel","params":{"id":1}}"#,
        #"{"jsonrpc":"2.0","id":7,"result":{"text":"x"}}"#,
        #"{"jsonrpc":"2.0","id":8,"error":{"code":-32601,"message":"m","data":{"type":"T"}}}"#,
        #"[{"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"text":"a"}},{"jsonrpc":"2.0","method":"test.chunk","params":{"seq":1}}]"#,
        #"{"jsonrpc":"2.0","id":null,"method":"test.echo","params":{"text":"\u0000\n\"q\""}}"#,
    ]

    private static let tokens: [[UInt8]] =
        ["{", "}", "[", "]", ",", ":", "\"", "\\", "null", "true", "1e999", "-0", "\"\\u", "\u{FFFF}"]
        .map { Array($0.utf8) } + [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0]]

    /// One frame body: a mutated seed most of the time, pure noise sometimes.
    private static func randomBody(_ rng: inout some RandomNumberGenerator) -> [UInt8] {
        if Int.random(in: 0..<20, using: &rng) == 0 {
            return (0..<Int.random(in: 0..<200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        var body = Array(seeds.randomElement(using: &rng)!.utf8)
        for _ in 0..<Int.random(in: 1...4, using: &rng) where !body.isEmpty {
            let at = Int.random(in: 0..<body.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: body[at] = UInt8.random(in: 0...255, using: &rng)
            case 1: body.removeSubrange(at...)
            case 2: body.insert(contentsOf: tokens.randomElement(using: &rng)!, at: at)
            case 3: body.remove(at: at)
            default: body.insert(contentsOf: body[at...].prefix(16), at: at)
            }
        }
        return body
    }

    @Test func oneHundredThousandRandomFramesNeverBreakTheServer() async throws {
        var configuration = RPCConnection.Configuration()
        configuration.maximumFrameLength = 64 * 1024
        let server = try await RPCServer.bind(port: 0, methods: testMethods(), configuration: configuration)
        var rng = SystemRandomNumberGenerator()
        var sent = 0
        var connections = 0
        while sent < 100_000 {
            let raw = try await RawFrameClient.connect(port: server.port)
            connections += 1
            var batch = [UInt8]()
            var closing = false
            for _ in 0..<500 where sent < 100_000 {
                sent += 1
                if Int.random(in: 0..<2_000, using: &rng) == 0 {
                    // A corrupt length prefix: the server must answer "frame too large" and close.
                    batch += [0xff, 0xff, 0xff, 0xff]
                    closing = true
                    break
                }
                let body = Self.randomBody(&rng)
                batch += Array(Frame.encode(body, allocator: .init()).readableBytesView)
            }
            try await raw.sendBytes(batch)
            if closing {
                await raw.waitUntilClosedByPeer()
            } else {
                // The same connection is still in step: a valid request gets its own answer.
                try await raw.sendFrame(#"{"jsonrpc":"2.0","id":"probe","method":"test.echo","params":{"text":"probe"}}"#)
                #expect(try await readUntilProbe(raw), "connection \(connections) lost step after garbage")
                await raw.close()
            }
        }
        #expect(sent == 100_000)
        let client = try await RPCConnection.connect(host: "127.0.0.1", port: server.port)
        for index in 0..<100 {
            #expect(try await client.call(Echo.self, .init(text: "fresh \(index)")).text == "fresh \(index)")
        }
        await client.close()
        await server.close()
    }

    /// Reads answers (to the garbage) until the probe's answer; false if the server closed.
    private func readUntilProbe(_ raw: RawFrameClient) async throws -> Bool {
        while let frame = try await raw.readFrames(1)?.first {
            if let object = frame as? [String: Any], object["id"] as? String == "probe" {
                return (object["result"] as? [String: Any])?["text"] as? String == "probe"
            }
        }
        return false
    }

    /// A 1 MB method name comes back in an error of a few hundred bytes, not of 1 MB.
    @Test func anErrorQuotesAtMostAFewHundredBytesOfTheInput() async throws {
        let server = try await RPCServer.bind(port: 0, methods: testMethods())
        let raw = try await RawFrameClient.connect(port: server.port)
        let method = String(repeating: "m", count: 1_000_000)
        try await raw.sendFrame(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)"}"#)
        let answers = try #require(try await raw.readFrames(1)) as? [[String: Any]]
        let error = try #require(answers?.first?["error"] as? [String: Any])
        let message = try #require(error["message"] as? String)
        #expect(answers?.first?.errorCode == -32601)
        #expect(message.utf8.count < 400 && message.hasSuffix("(1000000 bytes)"), "\(message.prefix(80))... \(message.utf8.count) bytes")
        await raw.close()
        await server.close()
        #expect(
            RPCError(.internalError, String(repeating: "é", count: 10_000)).message.utf8.count <= RPCError.maximumMessageBytes + 32,
            "every message is bounded, whatever made it")
    }

    @Test func deeplyNestedJSONIsAnsweredNotACrash() async throws {
        let server = try await RPCServer.bind(port: 0, methods: testMethods())
        let raw = try await RawFrameClient.connect(port: server.port)
        let depth = 200_000
        try await raw.sendFrame(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        try await raw.sendFrame(
            #"{"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"text":"#
                + String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth) + "}}")
        let answers = try #require(try await raw.readFrames(2)) as? [[String: Any]]
        #expect(answers?[0].errorCode == -32700)
        #expect(answers?[1].errorCode == -32700)
        await raw.close()
        await server.close()
    }
}

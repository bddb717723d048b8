import Foundation
import NIOCore
import NIOEmbedded
import Testing

@testable import ShoalProtocol

/// The JSON-RPC layer on EmbeddedChannel: every answer that needs no method handler is written
/// synchronously, so malformed input can be checked byte-exactly with no sockets.
@Suite struct MessageCodecTests {
    private func pipeline(maximum: Int = 1024) throws -> (EmbeddedChannel, RPCConnection) {
        let channel = EmbeddedChannel()
        var configuration = RPCConnection.Configuration()
        configuration.maximumFrameLength = maximum
        let connection = try RPCConnection.install(on: channel, methods: testMethods(), configuration: configuration)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        return (channel, connection)
    }

    private func send(_ json: [UInt8], to channel: EmbeddedChannel) throws {
        try channel.writeInbound(Frame.encode(json, allocator: .init()))
    }

    private func answer(_ channel: EmbeddedChannel) throws -> Any? {
        guard var buffer = try channel.readOutbound(as: ByteBuffer.self) else { return nil }
        let length = buffer.readInteger(as: UInt32.self)!
        #expect(Int(length) == buffer.readableBytes)
        return try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))
    }

    private func expectError(_ channel: EmbeddedChannel, code: Int, type: String, id: Any = NSNull()) throws {
        let object = try #require(try answer(channel) as? [String: Any])
        #expect(object["jsonrpc"] as? String == "2.0")
        #expect(object.errorCode == code)
        #expect(object.errorType == type)
        #expect("\(object["id"] ?? "missing")" == "\(id)")
    }

    @Test func invalidJSONIsAParseErrorAndTheConnectionStaysUsable() throws {
        let (channel, _) = try pipeline()
        try send(Array(#"{"jsonrpc":"2.0","id":1,"#.utf8), to: channel)
        try expectError(channel, code: -32700, type: "ParseError")
        try send(Array("not json at all".utf8), to: channel)
        try expectError(channel, code: -32700, type: "ParseError")
        try send([], to: channel)
        try expectError(channel, code: -32700, type: "ParseError")
        #expect(channel.isActive)
        // Still in step: a well-formed message after the garbage gets its proper answer.
        try send(Array(#"{"jsonrpc":"2.0","id":9,"method":"nope"}"#.utf8), to: channel)
        try expectError(channel, code: -32601, type: "MethodNotFound", id: 9)
    }

    @Test func invalidUTF8IsAParseError() throws {
        let (channel, _) = try pipeline()
        var bytes = Array(#"{"jsonrpc":"2.0","id":1,"method":""#.utf8)
        bytes += [0xff, 0xfe, 0xc3]
        bytes += Array(#""}"#.utf8)
        try send(bytes, to: channel)
        try expectError(channel, code: -32700, type: "ParseError")
        #expect(channel.isActive)
    }

    @Test func messagesThatAreNotRequestsAreInvalidRequests() throws {
        let (channel, _) = try pipeline()
        let cases: [(String, Any)] = [
            (#"42"#, NSNull()),
            (#""text""#, NSNull()),
            (#"[]"#, NSNull()),
            (#"{"id":3,"method":"test.echo"}"#, 3),
            (#"{"jsonrpc":"1.0","id":"a","method":"test.echo"}"#, "a"),
            (#"{"jsonrpc":"2.0","id":4,"method":17}"#, 4),
            (#"{"jsonrpc":"2.0","id":{"x":1},"method":"test.echo"}"#, NSNull()),
            (#"{"jsonrpc":"2.0","id":5,"method":"test.echo","params":"text"}"#, 5),
            (#"{"jsonrpc":"2.0","id":6}"#, 6),
        ]
        for (json, id) in cases {
            try send(Array(json.utf8), to: channel)
            try expectError(channel, code: -32600, type: "InvalidRequest", id: id)
        }
        #expect(channel.isActive)
    }

    @Test func unknownMethodAndBadParams() throws {
        let (channel, _) = try pipeline()
        try send(Array(#"{"jsonrpc":"2.0","id":"x","method":"no.such"}"#.utf8), to: channel)
        try expectError(channel, code: -32601, type: "MethodNotFound", id: "x")
        try send(Array(#"{"jsonrpc":"2.0","id":2,"method":"test.echo","params":{}}"#.utf8), to: channel)
        try expectError(channel, code: -32602, type: "InvalidParameterValueException", id: 2)
        try send(Array(#"{"jsonrpc":"2.0","id":3,"method":"test.echo","params":{"text":5}}"#.utf8), to: channel)
        let object = try #require(try answer(channel) as? [String: Any])
        let message = (object["error"] as? [String: Any])?["message"] as? String
        #expect(message == "parameter 'text' must be a string")
    }

    @Test func notificationsAreNeverAnswered() throws {
        let (channel, _) = try pipeline()
        try send(Array(#"{"jsonrpc":"2.0","method":"no.such"}"#.utf8), to: channel)
        try send(Array(#"{"jsonrpc":"2.0","method":"test.chunk","params":{"seq":"bad"}}"#.utf8), to: channel)
        try send(Array(#"{"jsonrpc":"2.0","method":"$/cancel","params":{"id":77}}"#.utf8), to: channel)
        try send(Array(#"{"jsonrpc":"2.0","id":99,"result":{}}"#.utf8), to: channel)
        #expect(try answer(channel) == nil)
    }

    @Test func oversizedFrameGetsAnInvalidRequestAndACloseButExactMaximumIsRead() throws {
        let (channel, _) = try pipeline(maximum: 256)
        let exact = #"{"jsonrpc":"2.0","id":1,"method":"nope","p":""#
        let padded = exact + String(repeating: " ", count: 256 - exact.count - 2) + #""}"#
        #expect(padded.utf8.count == 256)
        try send(Array(padded.utf8), to: channel)
        try expectError(channel, code: -32601, type: "MethodNotFound", id: 1)

        var header = ByteBuffer()
        header.writeInteger(UInt32(257))
        try channel.writeInbound(header)
        let object = try #require(try answer(channel) as? [String: Any])
        #expect(object.errorCode == -32600)
        #expect(object.errorReason == "frame too large")
        #expect(!channel.isActive)
    }

    @Test func batchMembersAreClassifiedOneByOne() throws {
        let (_, connection) = try pipeline()
        let decoder = JSONDecoder()
        decoder.userInfo[RPCDecodingContext.key] = connection.decodingContext
        let batch = """
            [{"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"text":"a"}},
             {"jsonrpc":"2.0","id":2,"method":"no.such"},
             17,
             {"jsonrpc":"2.0","method":"test.chunk","params":{"seq":1}},
             {"jsonrpc":"2.0","id":3,"method":"test.echo","params":{"wrong":true}},
             {"jsonrpc":"2.0","id":4,"method":"test.echo"}]
            """
        guard case .batch(let members) = try decoder.decode(InboundFrame.self, from: Data(batch.utf8)) else {
            Issue.record("a batch must decode as a batch")
            return
        }
        #expect(members.count == 6)
        func summary(_ message: InboundMessage) -> String {
            switch message {
            case .request(let id, let method, let params, _): "request \(id) \(method) \((params as? Echo.Params)?.text ?? "?")"
            case .invalid(let id, let error): "invalid \(id.map(String.init(describing:)) ?? "nil") \(error.code.rawValue)"
            case .notification(let method, let params, _): "notification \(method) \((params as? Chunk.Params)?.seq ?? -1)"
            default: "other"
            }
        }
        #expect(
            members.map(summary) == [
                "request 1 test.echo a",
                "invalid 2 -32601",
                "invalid nil -32600",
                "notification test.chunk 1",
                "invalid 3 -32602",
                "invalid 4 -32602",
            ])
    }
}

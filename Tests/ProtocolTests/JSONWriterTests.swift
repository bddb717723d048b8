import Foundation
import Testing

@testable import ShoalProtocol

/// The hand-written JSON of the invoke path says exactly what JSONEncoder would.
@Suite struct JSONWriterTests {
    static let awkward = [
        "", "plain", "quote \" backslash \\ slash /", "tab\t newline\n nul\u{0} bell\u{7} esc\u{1b}", "ünïcødé ✓ 𝄞", "\u{7f}\u{1f}",
    ]

    /// Decodes the hand-written bytes and re-encodes both with JSONEncoder (sorted keys).
    func sameAsEncoder<T: RPCJSONWritable & Decodable>(_ value: T) throws -> Bool {
        var writer = JSONWriter()
        value.writeJSON(to: &writer)
        let decoded = try JSONDecoder().decode(T.self, from: Data(writer.bytes))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(decoded) == encoder.encode(value)
    }

    @Test func invokeMessagesMatchTheEncoderForAwkwardStrings() throws {
        for text in Self.awkward {
            #expect(
                try sameAsEncoder(
                    WorkerAPI.InvokeParams(
                        functionName: text, deployId: text, payload: text, invocationId: nil, clientContext: text, logType: "Tail", window: 1 << 20)))
            #expect(try sameAsEncoder(WorkerAPI.InvokeParams(functionName: text, payload: text)))
            #expect(
                try sameAsEncoder(
                    WorkerAPI.InvokeResult(
                        statusCode: 200, payload: text, functionError: text, instanceId: text, coldStart: true, attempts: 3,
                        executedVersion: "$LATEST", logResult: nil, errorType: text)))
            #expect(try sameAsEncoder(WorkerAPI.InvokeChunk.Params(requestId: .string(text), payload: text)))
            #expect(try sameAsEncoder(WorkerAPI.InvokeChunk.Params(requestId: .number(-42), payload: text)))
            #expect(
                try sameAsEncoder(ClientAPI.InvokeParams(functionName: text, payload: text, invocationType: text, logType: text, clientContext: text))
            )
            #expect(try sameAsEncoder(ClientAPI.InvokeParams(functionName: text)))
            #expect(
                try sameAsEncoder(ClientAPI.Invoke.Result(statusCode: 202, payload: text, functionError: nil, logResult: text, executedVersion: nil)))
        }
    }

    @Test func envelopesAreWrittenByHandOnlyForWritableContent() throws {
        let request = RequestEnvelope(id: .number(7), method: "invoke", params: WorkerAPI.InvokeParams(functionName: "f", payload: "e30="))
        let written = try #require(request.handWritten())
        #expect(
            String(decoding: written.bytes, as: UTF8.self)
                == #"{"jsonrpc":"2.0","id":7,"method":"invoke","params":{"functionName":"f","payload":"e30="}}"#)
        let notification = RequestEnvelope(id: nil, method: "invoke.chunk", params: WorkerAPI.InvokeChunk.Params(requestId: .null, payload: ""))
        #expect(
            String(decoding: try #require(notification.handWritten()).bytes, as: UTF8.self)
                == #"{"jsonrpc":"2.0","method":"invoke.chunk","params":{"requestId":null,"payload":""}}"#)
        #expect(RequestEnvelope(id: .number(1), method: "m", params: Empty()).handWritten() == nil)
        let result = ResultEnvelope(id: .string("a"), result: ClientAPI.Invoke.Result(statusCode: 204, payload: ""))
        #expect(
            String(decoding: try #require(result.handWritten()).bytes, as: UTF8.self)
                == #"{"jsonrpc":"2.0","id":"a","result":{"statusCode":204,"payload":""}}"#)
    }

    @Test func aFrameIsItsLengthThenItsJSONAndIntegersAreExact() throws {
        var writer = JSONWriter(capacity: 1)
        writer.object { writer in
            writer.member("zero", 0)
            writer.key("extremes")
            writer.object { writer in
                writer.key("min")
                writer.integer(Int64.min)
                writer.key("max")
                writer.integer(Int64.max)
                writer.key("big")
                writer.integer(UInt64.max)
            }
            writer.member("negative", -42)
            writer.member("ok", true)
            // A one-character key, and a string that needs escapes, after a comma.
            writer.member("q", "say \"hi\"")
        }
        let json =
            #"{"zero":0,"extremes":{"min":-9223372036854775808,"max":9223372036854775807,"big":18446744073709551615},"negative":-42,"ok":true,"q":"say \"hi\""}"#
        #expect(String(decoding: writer.bytes, as: UTF8.self) == json)
        var frame = writer.frame()
        #expect(frame.readInteger(as: UInt32.self) == UInt32(json.utf8.count))
        #expect(frame.readString(length: frame.readableBytes) == json)
    }

    @Test func arraysAndRunTimeKeysNestAndEscape() throws {
        var writer = JSONWriter()
        writer.object { json in
            json.key("list")
            json.array { list in
                for text in Self.awkward { list.string(text) }
                list.array { _ in }
                list.integer(7)
            }
            json.key("map")
            json.object { map in
                for text in Self.awkward {
                    map.key(text)
                    map.string(text)
                }
            }
            json.member("after", 1)
        }
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String: Any])
        let list = try #require(decoded["list"] as? [Any])
        #expect(list.prefix(Self.awkward.count).compactMap { $0 as? String } == Self.awkward)
        #expect((list[Self.awkward.count] as? [Any])?.isEmpty == true && list.last as? Int == 7)
        #expect(decoded["map"] as? [String: String] == Dictionary(uniqueKeysWithValues: Self.awkward.map { ($0, $0) }))
        #expect(decoded["after"] as? Int == 1)
    }
}

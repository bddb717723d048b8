import Foundation
import NIOCore
import Testing

@testable import ShoalProtocol

/// The fast path for flat messages reads what JSONDecoder reads, and leaves everything it is
/// not sure of to JSONDecoder.
@Suite struct FastInboundTests {
    func scan(_ text: String) -> FastEnvelope? {
        FastEnvelope.scan(ByteBuffer(string: text))
    }

    @Test func handWrittenMessagesReadBackToTheSameValues() throws {
        for text in ["", "plain", "ünïcødé ✓ 𝄞", "e30="] {
            let params = WorkerAPI.InvokeParams(functionName: "f", deployId: text, payload: text, logType: "Tail", window: 1 << 20)
            var writer = JSONWriter()
            params.writeJSON(to: &writer)
            let envelope = try #require(
                scan(#"{"jsonrpc":"2.0","id":3,"method":"invoke","params":"# + String(decoding: writer.bytes, as: UTF8.self) + "}"))
            let read = try #require(WorkerAPI.InvokeParams(jsonFields: envelope.object))
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            #expect(try encoder.encode(read) == encoder.encode(params))
            #expect(envelope.id == .integer(3) && envelope.params == .object)
        }
        let result = try #require(
            scan(
                #" { "jsonrpc" : "2.0", "id" : "x", "result" : { "statusCode" : 200, "payload" : "", "instanceId" : "i", "coldStart" : false, "attempts" : 1, "executedVersion" : "$LATEST", "functionError" : null } } "#
            ))
        let decoded = try #require(WorkerAPI.InvokeResult(jsonFields: result.object))
        #expect(decoded.statusCode == 200 && decoded.functionError == nil && !decoded.coldStart && decoded.attempts == 1)
    }

    @Test func anythingUnusualGoesTheGeneralWay() {
        for text in [
            #"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"functionName":"a\"b","payload":""}}"#,  // an escape
            #"{"jsonrpc":"2.0","id":1.5,"method":"invoke","params":{}}"#,  // a fraction
            #"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"n":{"deep":1}}}"#,  // nesting
            #"{"jsonrpc":"2.0","id":1,"id":2,"method":"invoke","params":{}}"#,  // a duplicate key
            #"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{},"params":1}"#,  // the object's key again
            #"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"a":1,"a":2}}"#,  // a duplicate in params
            #"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{}} trailing"#,  // trailing bytes
            #"[{"jsonrpc":"2.0","id":1,"method":"invoke","params":{}}]"#,  // a batch
            #"{"jsonrpc":"2.0","id":01,"method":"invoke"}"#,  // a leading zero
            #"{"jsonrpc":"2.0","id":99999999999999999999,"method":"invoke"}"#,  // overflow
            #"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{},"extra":1}"#,  // a member JSON-RPC does not name
            #"{"jsonrpc":"2.0","id":1,"error":{"code":1},"method":"invoke"}"#,  // an object that is not params or result
            #"{"jsonrpc":"2.0","id":1,"result":{},"params":{}}"#,  // two objects
            #"{"jsonrpc":"2.0","jsonrpc":"2.0","id":1,"method":"invoke","params":{}}"#,  // the version twice
            #"{"jsonrpc":2.0,"id":1,"method":"invoke","params":{}}"#,  // a version that is not a string
            #"{"jsonrpc":"1.0","id":1,"method":"invoke","params":{}}"#,  // another version
            "{}",
        ] {
            #expect(scan(text) == nil, "\(text)")
        }
        // Scanned, but not buildable: a mistyped or missing member.
        let mistyped = scan(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"functionName":5,"payload":""}}"#)
        #expect(mistyped != nil && WorkerAPI.InvokeParams(jsonFields: mistyped!.object) == nil)
        let missing = scan(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"functionName":"f"}}"#)
        #expect(missing != nil && WorkerAPI.InvokeParams(jsonFields: missing!.object) == nil)
        let optionalMistyped = scan(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"functionName":"f","logType":true}}"#)
        #expect(ClientAPI.InvokeParams(jsonFields: optionalMistyped!.object) == nil)
    }

    @Test func envelopesAreClassifiedOnlyWhenEveryPartIsFast() throws {
        var methods = RPCMethodTable()
        methods.register(WorkerAPI.Invoke.self) { _, _ in throw RPCError.internalError("unused") }
        methods.register(WorkerAPI.Stats.self) { _, _ in throw RPCError.internalError("unused") }
        func classify(_ text: String) -> InboundMessage? {
            scan(text).flatMap { InboundMessage.fast($0, methods: methods, pendingResult: { _ in nil }) }
        }
        if case .request(let id, let method, let params, _)? = classify(
            #"{"jsonrpc":"2.0","id":"r1","method":"invoke","params":{"functionName":"f","payload":"e30="}}"#)
        {
            #expect(id == .string("r1") && method == "invoke" && (params as? WorkerAPI.InvokeParams)?.payload == "e30=")
        } else {
            Issue.record("a flat invoke request takes the fast path")
        }
        #expect(classify(#"{"jsonrpc":"2.0","id":1,"method":"stats","params":{}}"#) == nil, "Empty is not RPCJSONReadable")
        #expect(classify(#"{"jsonrpc":"2.0","id":1,"method":"nope","params":{}}"#) == nil, "unknown methods get their error the general way")
        #expect(classify(#"{"jsonrpc":"1.0","id":1,"method":"invoke","params":{"functionName":"f","payload":""}}"#) == nil)
        #expect(classify(#"{"jsonrpc":"2.0","id":null,"method":"invoke","params":{"functionName":"f","payload":""}}"#) == nil)
        #expect(classify(#"{"jsonrpc":"2.0","id":1,"result":{"statusCode":200}}"#) == nil, "no call is pending")
        #expect(classify(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":5}"#) == nil, "params that are not an object")
        #expect(
            classify(#"{"jsonrpc":"2.0","id":1,"method":"invoke","result":{"functionName":"f","payload":""}}"#) == nil,
            "a request's object is its params")
        #expect(classify(#"{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"functionName":"f","payload":""},"result":null}"#) == nil)
    }

    /// Offsets count from the frame's reader index: a frame read off a stream, after its
    /// length prefix and another frame, reads its own bytes.
    @Test func aFrameReadFromTheMiddleOfABufferReadsItsOwnBytes() throws {
        var stream = ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        stream.writeInteger(UInt32(99))
        stream.writeString(
            #"{"jsonrpc":"2.0","id":"call-7","method":"invoke","params":{"functionName":"fn-\#u{e9}","payload":"e30=","logType":"Tail"}}"#)
        stream.moveReaderIndex(forwardBy: 36 + 4)
        let frame = stream.readSlice(length: stream.readableBytes)!
        let envelope = try #require(FastEnvelope.scan(frame))
        #expect(envelope.id == .string(start: 23, count: 6))
        let params = try #require(WorkerAPI.InvokeParams(jsonFields: envelope.object))
        #expect(params.functionName == "fn-\u{e9}" && params.payload == "e30=" && params.logType == "Tail" && params.deployId == nil)
        var methods = RPCMethodTable()
        methods.register(WorkerAPI.Invoke.self) { _, _ in throw RPCError.internalError("unused") }
        guard case .request(let id, "invoke", _, _)? = InboundMessage.fast(envelope, methods: methods, pendingResult: { _ in nil }) else {
            Issue.record("the request is classified")
            return
        }
        #expect(id == .string("call-7"))
    }
}

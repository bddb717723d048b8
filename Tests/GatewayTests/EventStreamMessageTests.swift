import NIOCore
import NIOEmbedded
import ShoalGateway
import Testing

/// The event-stream framing of InvokeWithResponseStream, byte for byte against the reference
/// vectors (made with botocore's own parser), and read back from a channel that delivers it in
/// small pieces, as a socket may.
struct EventStreamMessageTests {
    /// Hex of the first bytes of the PayloadChunk `hi` vector: lengths, prelude CRC, the first header.
    static let chunkPrefix = "0000006c0000005ab25efdcf0b3a6576656e742d747970650700 0c5061796c6f61644368756e6b".replacingOccurrences(of: " ", with: "")

    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func aPayloadChunkIsFramedAsTheReferenceVector() {
        let bytes = Array(buffer: EventStreamMessage.payloadChunk(Array("hi".utf8)).bytes)
        #expect(bytes.count == 108)
        #expect(Self.hex(bytes[4..<8]) == "0000005a", "headers of 90 bytes")
        #expect(Self.hex(bytes[8..<12]) == "b25efdcf", "prelude CRC")
        #expect(Self.hex(bytes.suffix(4)) == "1162e469", "message CRC")
        #expect(Self.hex(bytes.prefix(Self.chunkPrefix.count / 2)) == Self.chunkPrefix)
    }

    @Test func anInvokeCompleteIsFramedAsTheReferenceVector() {
        let bytes = Array(buffer: EventStreamMessage.invokeComplete(json: Array("{}".utf8)).bytes)
        #expect(bytes.count == 102)
        #expect(Self.hex(bytes[4..<8]) == "00000054", "headers of 84 bytes")
        #expect(Self.hex(bytes[8..<12]) == "1f56c869", "prelude CRC")
        #expect(Self.hex(bytes.suffix(4)) == "7006d467", "message CRC")
    }

    /// Reads messages as they become whole, the way a client's parser does.
    final class Decoder: ByteToMessageDecoder {
        typealias InboundOut = EventStreamMessage

        func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
            guard let message = try EventStreamMessage.read(from: &buffer) else { return .needMoreData }
            context.fireChannelRead(wrapInboundOut(message))
            return .continue
        }
    }

    @Test(arguments: [1, 5, 7, 4096]) func messagesSplitIntoPiecesReadBackWhole(pieceSize: Int) throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(Decoder()))
        let sent: [EventStreamMessage] = [
            .payloadChunk(Array("first".utf8)), .payloadChunk([UInt8](repeating: 7, count: 3000)),
            .invokeComplete(json: Array(#"{"ErrorCode":"Unhandled"}"#.utf8)), .error(code: "ServiceException", message: "lost"),
        ]
        var stream = ByteBuffer()
        for message in sent { message.write(to: &stream) }
        while stream.readableBytes > 0 {
            try channel.writeInbound(stream.readSlice(length: min(pieceSize, stream.readableBytes))!)
        }
        var received: [EventStreamMessage] = []
        while let message = try channel.readInbound(as: EventStreamMessage.self) { received.append(message) }
        #expect(received == sent)
        #expect(try channel.finish().isClean)
    }

    @Test func aCorruptedMessageIsRefused() {
        var bytes = EventStreamMessage.payloadChunk(Array("hi".utf8)).bytes
        bytes.setInteger(UInt8(ascii: "H"), at: bytes.writerIndex - 6)
        #expect(throws: (any Error).self) { try EventStreamMessage.read(from: &bytes) }
    }
}

import NIOCore

/// One message of AWS's `application/vnd.amazon.eventstream` framing, which
/// InvokeWithResponseStream answers with: a prelude (total and header lengths, their CRC),
/// string headers, the payload and a CRC of everything before it. Big-endian throughout.
package struct EventStreamMessage: Sendable, Hashable {
    /// A header; Lambda's values are all strings.
    package struct Header: Sendable, Hashable {
        package var name: String
        package var value: String

        package init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    package var headers: [Header]
    package var payload: [UInt8]

    package init(headers: [Header], payload: [UInt8]) {
        self.headers = headers
        self.payload = payload
    }

    /// Header value type 7: a string with a 16-bit length (the only type Lambda sends).
    static let stringType: UInt8 = 7

    /// A piece of the function's response, as the function wrote it.
    package static func payloadChunk(_ bytes: some Collection<UInt8>) -> EventStreamMessage {
        EventStreamMessage(
            headers: [.init(":event-type", "PayloadChunk"), .init(":content-type", "application/octet-stream"), .init(":message-type", "event")],
            payload: Array(bytes))
    }

    /// The last message: `{}` on success, else `ErrorCode`, `ErrorDetails` and `LogResult`.
    package static func invokeComplete(json: [UInt8]) -> EventStreamMessage {
        EventStreamMessage(
            headers: [.init(":event-type", "InvokeComplete"), .init(":content-type", "application/json"), .init(":message-type", "event")],
            payload: json)
    }

    /// A failure of the stream itself (not of the function), which botocore raises as
    /// `EventStreamError` with `code`.
    package static func error(code: String, message: String) -> EventStreamMessage {
        EventStreamMessage(
            headers: [.init(":message-type", "error"), .init(":error-code", code), .init(":error-message", message)], payload: [])
    }

    /// Appends the framed message to `buffer`.
    package func write(to buffer: inout ByteBuffer) {
        var headerBytes = ByteBuffer()
        for header in headers {
            let name = Array(header.name.utf8)
            let value = Array(header.value.utf8)
            headerBytes.writeInteger(UInt8(name.count))
            headerBytes.writeBytes(name)
            headerBytes.writeInteger(Self.stringType)
            headerBytes.writeInteger(UInt16(value.count))
            headerBytes.writeBytes(value)
        }
        let start = buffer.writerIndex
        let total = 12 + headerBytes.readableBytes + payload.count + 4
        buffer.writeInteger(UInt32(total))
        buffer.writeInteger(UInt32(headerBytes.readableBytes))
        let prelude = CRC32(buffer.viewBytes(at: start, length: 8)!)
        buffer.writeInteger(prelude.value)
        buffer.writeBuffer(&headerBytes)
        buffer.writeBytes(payload)
        let message = CRC32(buffer.viewBytes(at: start, length: buffer.writerIndex - start)!)
        buffer.writeInteger(message.value)
    }

    /// The framed message alone.
    package var bytes: ByteBuffer {
        var buffer = ByteBuffer()
        write(to: &buffer)
        return buffer
    }

    /// Reads one message from the front of `buffer`; nil when it does not yet hold a whole
    /// one. A bad length, CRC or header type throws: the stream is corrupt.
    package static func read(from buffer: inout ByteBuffer) throws(GatewayError) -> EventStreamMessage? {
        guard buffer.readableBytes >= 12, let total = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
            let headerLength = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self)
        else { return nil }
        guard total >= 16, Int(headerLength) <= Int(total) - 16 else { throw GatewayError(.invalidParameter, "event stream: bad lengths") }
        guard buffer.readableBytes >= Int(total) else { return nil }
        let start = buffer.readerIndex
        guard CRC32(buffer.viewBytes(at: start, length: 8)!).value == buffer.getInteger(at: start + 8, as: UInt32.self),
            CRC32(buffer.viewBytes(at: start, length: Int(total) - 4)!).value == buffer.getInteger(at: start + Int(total) - 4, as: UInt32.self)
        else { throw GatewayError(.invalidParameter, "event stream: CRC mismatch") }
        var headers = buffer.getSlice(at: start + 12, length: Int(headerLength))!
        var parsed: [Header] = []
        while headers.readableBytes > 0 {
            guard let nameLength = headers.readInteger(as: UInt8.self), let name = headers.readString(length: Int(nameLength)),
                headers.readInteger(as: UInt8.self) == stringType, let valueLength = headers.readInteger(as: UInt16.self),
                let value = headers.readString(length: Int(valueLength))
            else { throw GatewayError(.invalidParameter, "event stream: bad header") }
            parsed.append(Header(name, value))
        }
        let payload = buffer.getBytes(at: start + 12 + Int(headerLength), length: Int(total) - 16 - Int(headerLength))!
        buffer.moveReaderIndex(forwardBy: Int(total))
        return EventStreamMessage(headers: parsed, payload: payload)
    }
}

/// The keys of a JSON-RPC 2.0 message object.
enum EnvelopeKey: String, CodingKey {
    case jsonrpc, id, method, params, result, error
}

/// An outgoing request (with `id`) or notification (`id` omitted).
struct RequestEnvelope<Params: Encodable>: Encodable {
    var id: RPCID?
    var method: String
    var params: Params

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: EnvelopeKey.self)
        try container.encode("2.0", forKey: .jsonrpc)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encode(method, forKey: .method)
        try container.encode(params, forKey: .params)
    }
}

/// An outgoing successful response.
struct ResultEnvelope<Result: Encodable>: Encodable {
    var id: RPCID
    var result: Result

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: EnvelopeKey.self)
        try container.encode("2.0", forKey: .jsonrpc)
        try container.encode(id, forKey: .id)
        try container.encode(result, forKey: .result)
    }
}

/// An outgoing error response; `id` is null when the request's id could not be read.
struct ErrorEnvelope: Encodable {
    var id: RPCID
    var error: RPCError

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: EnvelopeKey.self)
        try container.encode("2.0", forKey: .jsonrpc)
        try container.encode(id, forKey: .id)
        try container.encode(error, forKey: .error)
    }
}

/// An envelope that can write itself with `JSONWriter` when its content can.
protocol HandWrittenEnvelope {
    func handWritten() -> JSONWriter?
}

extension RequestEnvelope: HandWrittenEnvelope {
    func handWritten() -> JSONWriter? {
        guard let writable = Params.self as? any RPCJSONWritable.Type else { return nil }
        return JSONWriter.request(id: id, method: method, capacityHint: writable.capacityHint(params)) { writable.write(params, to: &$0) }
    }
}

extension ResultEnvelope: HandWrittenEnvelope {
    func handWritten() -> JSONWriter? {
        guard let writable = Result.self as? any RPCJSONWritable.Type else { return nil }
        return JSONWriter.resultResponse(id: id, capacityHint: writable.capacityHint(result)) { writable.write(result, to: &$0) }
    }
}

extension JSONWriter {
    /// A request (a notification without `id`) whose params `write` puts in: for
    /// `RequestEnvelope.handWritten`, and for calls whose params are known to write themselves
    /// (`RPCConnection.call`), which need no envelope value, conformance lookup or cast.
    static func request(id: RPCID?, method: String, capacityHint: Int, _ write: (inout JSONWriter) -> Void) -> JSONWriter {
        var writer = JSONWriter(capacity: 64 + method.utf8.count + capacityHint)
        writer.object { writer in
            writer.member("jsonrpc", "2.0")
            if let id {
                writer.key("id")
                writer.id(id)
            }
            writer.member("method", method)
            writer.key("params")
            write(&writer)
        }
        return writer
    }

    /// A result response whose result `write` puts in (`ResultEnvelope.handWritten`). Not a
    /// member of the generic envelope, so calling it instantiates no generic type.
    static func resultResponse(id: RPCID, capacityHint: Int, _ write: (inout JSONWriter) -> Void) -> JSONWriter {
        var writer = JSONWriter(capacity: 64 + capacityHint)
        writer.object { writer in
            writer.member("jsonrpc", "2.0")
            writer.key("id")
            writer.id(id)
            writer.key("result")
            write(&writer)
        }
        return writer
    }
}

/// Opened through the metatype: casting the value itself to `any RPCJSONWritable` would box
/// it (an allocation for every message larger than three words).
extension RPCJSONWritable {
    fileprivate static func write(_ value: some Any, to writer: inout JSONWriter) {
        (value as! Self).writeJSON(to: &writer)
    }

    fileprivate static func capacityHint(_ value: some Any) -> Int {
        (value as! Self).jsonCapacityHint
    }
}

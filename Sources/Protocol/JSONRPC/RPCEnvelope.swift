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
        var writer = JSONWriter(capacity: 64 + method.utf8.count + writable.capacityHint(params))
        writer.object { writer in
            writer.member("jsonrpc", "2.0")
            if let id { writer.key("id"); writer.id(id) }
            writer.member("method", method)
            writer.key("params")
            writable.write(params, to: &writer)
        }
        return writer
    }
}

extension ResultEnvelope: HandWrittenEnvelope {
    func handWritten() -> JSONWriter? {
        guard let writable = Result.self as? any RPCJSONWritable.Type else { return nil }
        var writer = JSONWriter(capacity: 64 + writable.capacityHint(result))
        writer.object { writer in
            writer.member("jsonrpc", "2.0")
            writer.key("id")
            writer.id(id)
            writer.key("result")
            writable.write(result, to: &writer)
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

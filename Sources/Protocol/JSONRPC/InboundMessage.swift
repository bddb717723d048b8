import Foundation

/// What one JSON-RPC message object turned out to be, with its params or result already
/// decoded into the Swift type its method declares.
///
/// Classification never throws: every malformed message becomes `.invalid` with the error the
/// JSON-RPC 2.0 spec names, so a batch with bad members still answers its good ones.
enum InboundMessage: Sendable {
    case request(id: RPCID, method: String, params: any Sendable, entry: RPCMethodTable.RequestEntry)
    case notification(method: String, params: any Sendable, entry: RPCMethodTable.NotificationEntry)
    /// The peer's `$/cancel` for one of the requests this end is serving.
    case cancel(RPCID)
    case response(id: RPCID, Result<any Sendable, RPCError>)
    /// Answer with this error; `id` is nil when it could not be read (it goes out as null).
    case invalid(id: RPCID?, RPCError)
    /// Nothing to do: an unknown notification, a response nobody waits for, a peer's error
    /// about something unidentifiable.
    case ignored(String)
}

/// One frame's content: a single message or a batch.
enum InboundFrame: Sendable {
    case single(InboundMessage)
    case batch([InboundMessage])
}

/// Everything classification needs from the connection, passed through `JSONDecoder.userInfo`.
struct RPCDecodingContext: Sendable {
    typealias ResultDecoder = @Sendable (KeyedDecodingContainer<EnvelopeKey>) throws -> any Sendable

    var methods: RPCMethodTable
    /// The result decoder of the pending call with this id, if any.
    var pendingResult: @Sendable (RPCID) -> ResultDecoder?

    static let key = CodingUserInfoKey(rawValue: "shoal.rpc.decoding")!
}

extension InboundFrame: Decodable {
    /// Never throws: a `JSONDecoder` that fails on this type failed on the JSON syntax itself.
    init(from decoder: any Decoder) {
        if var batch = try? decoder.unkeyedContainer() {
            var messages: [InboundMessage] = []
            while !batch.isAtEnd {
                // Decoding a wrapper that cannot fail keeps the container's index moving.
                guard let member = try? batch.decode(InboundMessageBox.self) else { break }
                messages.append(member.message)
            }
            self =
                messages.isEmpty
                ? .single(.invalid(id: nil, .invalidRequest("an empty batch is not a request")))
                : .batch(messages)
        } else {
            self = .single(InboundMessage(from: decoder))
        }
    }
}

private struct InboundMessageBox: Decodable {
    var message: InboundMessage
    init(from decoder: any Decoder) { message = InboundMessage(from: decoder) }
}

extension InboundMessage {
    init(from decoder: any Decoder) {
        let context = decoder.userInfo[RPCDecodingContext.key] as! RPCDecodingContext
        guard let container = try? decoder.container(keyedBy: EnvelopeKey.self) else {
            self = .invalid(id: nil, .invalidRequest("a JSON-RPC message must be an object"))
            return
        }
        var id: RPCID?
        if container.contains(.id) {
            guard let decoded = try? container.decode(RPCID.self, forKey: .id) else {
                self = .invalid(id: nil, .invalidRequest("id must be a string, an integer or null"))
                return
            }
            id = decoded
        }
        guard (try? container.decode(String.self, forKey: .jsonrpc)) == "2.0" else {
            self = .invalid(id: id, .invalidRequest("jsonrpc must be \"2.0\""))
            return
        }
        if container.contains(.method) {
            self = Self.classifyCall(container, id: id, context: context)
        } else if container.contains(.result) || container.contains(.error) {
            self = Self.classifyResponse(container, id: id, context: context)
        } else {
            self = .invalid(id: id, .invalidRequest("a message needs a method, a result or an error"))
        }
    }

    private static func classifyCall(
        _ container: KeyedDecodingContainer<EnvelopeKey>, id: RPCID?, context: RPCDecodingContext
    ) -> InboundMessage {
        guard let method = try? container.decode(String.self, forKey: .method) else {
            return .invalid(id: id, .invalidRequest("method must be a string"))
        }
        if container.contains(.params),
            (try? container.nestedContainer(keyedBy: EnvelopeKey.self, forKey: .params)) == nil,
            (try? container.nestedUnkeyedContainer(forKey: .params)) == nil
        {
            return .invalid(id: id, .invalidRequest("params must be an object or an array"))
        }
        guard let id else {
            return classifyNotification(container, method: method, context: context)
        }
        guard let entry = context.methods.requests[method] else {
            return .invalid(id: id, .methodNotFound(method))
        }
        do {
            return .request(id: id, method: method, params: try entry.decodeParams(container), entry: entry)
        } catch {
            return .invalid(id: id, .invalidParams(describe(error)))
        }
    }

    private static func classifyNotification(
        _ container: KeyedDecodingContainer<EnvelopeKey>, method: String, context: RPCDecodingContext
    ) -> InboundMessage {
        if method == CancelRequest.name {
            guard let params = try? container.decode(CancelRequest.Params.self, forKey: .params) else {
                return .ignored("malformed \(method)")
            }
            return .cancel(params.id)
        }
        guard let entry = context.methods.notifications[method] else {
            return .ignored("unknown notification \(method)")
        }
        guard let params = try? entry.decodeParams(container) else {
            return .ignored("malformed params for notification \(method)")
        }
        return .notification(method: method, params: params, entry: entry)
    }

    private static func classifyResponse(
        _ container: KeyedDecodingContainer<EnvelopeKey>, id: RPCID?, context: RPCDecodingContext
    ) -> InboundMessage {
        guard let id, id != .null else {
            let error = try? container.decode(RPCError.self, forKey: .error)
            return .ignored("peer reported an error without an id: \(error.map(String.init(describing:)) ?? "malformed")")
        }
        if container.contains(.error) {
            let error =
                (try? container.decode(RPCError.self, forKey: .error))
                ?? RPCError.internalError("the peer sent a malformed error object")
            return .response(id: id, .failure(error))
        }
        guard let decodeResult = context.pendingResult(id) else {
            return .ignored("response for unknown or abandoned request \(id)")
        }
        do {
            return .response(id: id, .success(try decodeResult(container)))
        } catch {
            return .response(id: id, .failure(.internalError("malformed result: \(describe(error))")))
        }
    }

    /// A short, user-facing account of why params did not decode.
    static func describe(_ error: any Error) -> String {
        guard let decodingError = error as? DecodingError else { return "\(error)" }
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = (codingPath + (last.map { [$0] } ?? [])).filter { $0.stringValue != EnvelopeKey.params.stringValue }
            let joined = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "params" : joined
        }
        switch decodingError {
        case .keyNotFound(let key, let context):
            return "missing parameter '\(path(context.codingPath, key))'"
        case .typeMismatch(let type, let context):
            return "parameter '\(path(context.codingPath))' must be \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "parameter '\(path(context.codingPath))' must be \(typeName(type)), not null"
        case .dataCorrupted(let context):
            return "parameter '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(decodingError)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        default: "\(type)".hasPrefix("Array") ? "an array" : "an object"
        }
    }
}

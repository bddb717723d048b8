import Foundation
import NIOCore

/// What a request handler knows about the call it serves.
public struct RPCRequestContext: Sendable {
    /// The connection the request came in on; use it to send notifications back (streaming).
    public let connection: RPCConnection
    /// The request's id, which its answer carries.
    public let id: RPCID
    /// The method's name.
    public let method: String

    /// Closes the connection once this request's answer is written (an authentication
    /// failure, say, where the peer should learn why and then be gone).
    public func closeConnectionAfterAnswer() {
        connection.closeAfterAnswering(id)
    }
}

/// What a notification handler knows about the message it handles.
public struct RPCNotificationContext: Sendable {
    /// The connection the notification came on.
    public let connection: RPCConnection
    /// The notification's method name.
    public let method: String
}

/// The methods and notifications one end of a connection answers, by wire name.
///
/// Built once before a connection starts and shared read-only by every connection of a server.
/// Each entry is a pair of closures made while the method's types are still known, so decoding
/// and dispatch never open existentials on the hot path.
public struct RPCMethodTable: Sendable {
    /// Builds params from a flat object, for types that are `RPCJSONReadable` (FastInbound).
    typealias FastDecoder = @Sendable (JSONFields) -> (any Sendable)?

    struct RequestEntry: Sendable {
        var decodeParams: @Sendable (KeyedDecodingContainer<EnvelopeKey>) throws -> any Sendable
        var fastParams: FastDecoder?
        /// Runs the handler; its answer comes back as one frame (see `RPCCoding.frame`).
        var run: @Sendable (any Sendable, RPCRequestContext) async throws -> ByteBuffer
    }

    struct NotificationEntry: Sendable {
        var decodeParams: @Sendable (KeyedDecodingContainer<EnvelopeKey>) throws -> any Sendable
        var fastParams: FastDecoder?
        var handle: @Sendable (any Sendable, RPCNotificationContext) -> Void
    }

    static func fastDecoder<T>(for type: T.Type) -> FastDecoder? {
        guard let readable = type as? any RPCJSONReadable.Type else { return nil }
        return { fields in readable.init(jsonFields: fields) }
    }

    private(set) var requests: [String: RequestEntry] = [:]
    private(set) var notifications: [String: NotificationEntry] = [:]

    /// Creates a `RPCMethodTable`.
    public init() {}

    /// Answers method `M` with `handler`. Anything the handler throws becomes an error response
    /// (an `RPCErrorConvertible` renders itself; anything else is a ServiceException).
    public mutating func register<M: RPCMethod>(
        _ method: M.Type,
        _ handler: @escaping @Sendable (M.Params, RPCRequestContext) async throws -> M.Result
    ) {
        precondition(requests[M.name] == nil, "method \(M.name) registered twice")
        requests[M.name] = RequestEntry(
            decodeParams: { container in try Self.decodeParams(M.Params.self, from: container) },
            fastParams: Self.fastDecoder(for: M.Params.self),
            run: { params, context in
                let result = try await handler(params as! M.Params, context)
                return try RPCCoding.frame(ResultEnvelope(id: context.id, result: result))
            }
        )
    }

    /// Handles notification `N` with `handler`, called on the connection's event loop in the
    /// order messages arrive: keep it short and non-blocking (hand work to a stream or a task).
    public mutating func on<N: RPCNotification>(
        _ notification: N.Type,
        _ handler: @escaping @Sendable (N.Params, RPCNotificationContext) -> Void
    ) {
        precondition(notifications[N.name] == nil, "notification \(N.name) registered twice")
        notifications[N.name] = NotificationEntry(
            decodeParams: { container in try Self.decodeParams(N.Params.self, from: container) },
            fastParams: Self.fastDecoder(for: N.Params.self),
            handle: { params, context in handler(params as! N.Params, context) }
        )
    }

    /// Params may be omitted on the wire; then they decode as if they were `{}`.
    private static func decodeParams<P: Decodable>(
        _ type: P.Type, from container: KeyedDecodingContainer<EnvelopeKey>
    ) throws -> P {
        if container.contains(.params) {
            return try container.decode(P.self, forKey: .params)
        }
        return try RPCCoding.decoder.decode(P.self, from: Data("{}".utf8))
    }
}

/// Shared coders. JSONEncoder and JSONDecoder are thread-safe when their options are not mutated.
enum RPCCoding {
    static let encoder = JSONEncoder()
    static let decoder = JSONDecoder()

    /// An envelope as one frame, written by hand when its content is `RPCJSONWritable`.
    static func frame<Envelope: Encodable>(_ envelope: Envelope, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws -> ByteBuffer {
        if let handWriting = Envelope.self as? any HandWrittenEnvelope.Type, var writer = handWriting.written(envelope) {
            return writer.frame()
        }
        return Frame.encode(try encoder.encode(envelope), allocator: allocator)
    }
}

extension HandWrittenEnvelope {
    /// Opened through the metatype, so the envelope is not boxed into an existential.
    fileprivate static func written(_ envelope: some Any) -> JSONWriter? {
        (envelope as! Self).handWritten()
    }
}

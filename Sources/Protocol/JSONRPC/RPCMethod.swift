/// A request/response method: its wire name and the types of its params and result.
///
/// Both ends of a connection name methods by type, so a call site reads
/// `try await connection.call(Echo.self, .init(text: "hi"))` and the compiler checks the shapes.
public protocol RPCMethod: Sendable {
    associatedtype Params: Codable & Sendable
    associatedtype Result: Codable & Sendable
    static var name: String { get }
}

/// A one-way message: no id, no answer. Used for streamed chunks and cancellation.
public protocol RPCNotification: Sendable {
    associatedtype Params: Codable & Sendable
    static var name: String { get }
}

/// Params or result of a method that carries nothing: encodes as `{}`.
public struct Empty: Codable, Sendable, Hashable {
    /// Creates a `Empty`.
    public init() {}
}

/// `$/cancel {id}`: the caller gave up on request `id` (cancelled or timed out).
///
/// The receiving end cancels the Swift task running that request; the request still gets an
/// answer (usually the -32800 error), which the caller ignores.
public enum CancelRequest: RPCNotification {
    /// The parameters.
    public struct Params: Codable, Sendable, Hashable {
        /// The id.
        public var id: RPCID
        /// Creates the parameters.
        public init(id: RPCID) { self.id = id }
    }
    /// `$/cancel`, the method's name on the wire.
    public static let name = "$/cancel"
}

/// The one error type of the protocol module: a JSON-RPC 2.0 error object.
///
/// It is what travels on the wire (`{"code", "message", "data": {"type", "reason"}}`), what a
/// method handler throws to answer with an error, and what `RPCConnection.call` throws when the
/// peer answered with one or when the call failed locally (closed connection, timeout,
/// cancellation). Local failures use codes from the implementation-defined range so a caller
/// can tell "the request never left" from "the request may have reached the peer".
public struct RPCError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// A JSON-RPC error code. Known codes carry the AWS-style exception name of docs/api.md.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        /// The JSON-RPC `code`.
        public var rawValue: Int
        /// Creates a `Code`.
        public init(rawValue: Int) { self.rawValue = rawValue }

        // JSON-RPC 2.0 codes.
        /// -32700: the frame is not JSON.
        public static let parseError = Code(rawValue: -32700)
        /// -32600: not a JSON-RPC 2.0 request.
        public static let invalidRequest = Code(rawValue: -32600)
        /// -32601: no such method.
        public static let methodNotFound = Code(rawValue: -32601)
        /// -32602: missing, ill-typed or invalid parameters (InvalidParameterValueException).
        public static let invalidParams = Code(rawValue: -32602)
        /// -32603: the service failed (ServiceException).
        public static let internalError = Code(rawValue: -32603)

        // Shoal's service errors (docs/api.md).
        /// -32001: no such function or layer.
        public static let resourceNotFound = Code(rawValue: -32001)
        /// -32002: the function already exists.
        public static let resourceConflict = Code(rawValue: -32002)
        /// -32003: a synchronous payload over 6 MiB.
        public static let requestTooLarge = Code(rawValue: -32003)
        /// -32004: over a concurrency limit, or waited too long for an instance.
        public static let tooManyRequests = Code(rawValue: -32004)
        /// -32005: no worker can take the call now; retry.
        public static let serviceUnavailable = Code(rawValue: -32005)
        /// An invoke's payload is not JSON, or its client context not base64 of a JSON object:
        /// AWS's InvalidRequestContentException (an extension of JSON-RPC's table; docs/api.md).
        public static let invalidRequestContent = Code(rawValue: -32006)

        // Local outcomes of a call; never sent by a well-behaved peer.
        /// The connection closed before the request was written: the peer never saw it.
        public static let notSent = Code(rawValue: -32050)
        /// The connection closed after the request was written: the peer may have run it.
        public static let connectionClosed = Code(rawValue: -32051)
        /// No answer within the call's timeout; the peer was told to cancel.
        public static let timedOut = Code(rawValue: -32052)
        /// The caller cancelled; the peer was told to cancel. Same value as LSP's RequestCancelled.
        public static let cancelled = Code(rawValue: -32800)

        /// The AWS-style exception name that goes into `data.type`.
        public var exceptionType: String {
            switch self {
            case .parseError: "ParseError"
            case .invalidRequest: "InvalidRequest"
            case .methodNotFound: "MethodNotFound"
            case .invalidParams: "InvalidParameterValueException"
            case .resourceNotFound: "ResourceNotFoundException"
            case .resourceConflict: "ResourceConflictException"
            case .requestTooLarge: "RequestTooLargeException"
            case .tooManyRequests: "TooManyRequestsException"
            case .serviceUnavailable, .notSent, .connectionClosed: "ServiceUnavailableException"
            case .invalidRequestContent: "InvalidRequestContentException"
            case .timedOut: "TimeoutException"
            case .cancelled: "RequestCancelled"
            default: "ServiceException"
            }
        }

        /// A description of the function.
        public var description: String { "\(rawValue) (\(exceptionType))" }

        /// Creates a `Code`.
        public init(from decoder: any Decoder) throws {
            self.rawValue = try decoder.singleValueContainer().decode(Int.self)
        }

        /// The number alone.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }

    /// The `data` member: the exception name and, where it helps, a machine-readable reason.
    public struct Detail: Sendable, Hashable, Codable {
        /// The AWS-style exception name, e.g. `ResourceNotFoundException`.
        public var type: String
        /// A short machine-readable reason, e.g. `QueueWaitExceeded`.
        public var reason: String?

        /// Creates a `Detail`.
        public init(type: String, reason: String? = nil) {
            self.type = type
            self.reason = reason
        }
    }

    /// The code: `zipFile` (base64) or `imageUri`.
    public var code: Code
    /// What went wrong, for people (quotes at most a few hundred bytes of input).
    public var message: String
    /// The exception name and reason.
    public var data: Detail?

    /// `message` beyond `maximumMessageBytes` is cut: the backstop that keeps any error from
    /// echoing unbounded input (the places that quote input clip it sooner, with `echo`).
    public init(code: Code, message: String, data: Detail? = nil) {
        self.code = code
        self.message = Self.clip(message, to: Self.maximumMessageBytes)
        self.data = data
    }

    /// The longest message an error carries.
    public static let maximumMessageBytes = 4096
    /// The longest piece of a caller's input that an error message quotes.
    public static let maximumEchoBytes = 256

    /// A caller's input as an error message quotes it: whole when short, else its first
    /// `maximumEchoBytes` and how long it was (a 1 MB name must not come back in a 1 MB error).
    public static func echo(_ input: some StringProtocol) -> String {
        clip(String(input), to: maximumEchoBytes)
    }

    private static func clip(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        // Cut between scalars, at or below the limit.
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            guard bytes <= limit else { break }
            kept.append(scalar)
        }
        return "\(String(kept))... (\(text.utf8.count) bytes)"
    }

    /// An error whose `data.type` is the code's exception name.
    public init(_ code: Code, _ message: String, reason: String? = nil) {
        self.init(code: code, message: message, data: Detail(type: code.exceptionType, reason: reason))
    }

    /// A description of the function.
    public var description: String {
        let reason = data?.reason.map { " [\($0)]" } ?? ""
        return "RPCError \(code): \(message)\(reason)"
    }

    /// A -32700 error.
    public static func parseError(_ message: String) -> RPCError { RPCError(.parseError, message) }
    /// A -32600 error.
    public static func invalidRequest(_ message: String, reason: String? = nil) -> RPCError {
        RPCError(.invalidRequest, message, reason: reason)
    }
    /// A -32601 error that names the method (clipped).
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(.methodNotFound, "method not found: \(echo(method))")
    }
    /// A -32602 error.
    public static func invalidParams(_ message: String) -> RPCError { RPCError(.invalidParams, message) }
    /// A -32603 error.
    public static func internalError(_ message: String) -> RPCError { RPCError(.internalError, message) }

    /// The error a peer gets for a frame whose declared length is over the maximum.
    public static func frameTooLarge(length: Int, maximum: Int) -> RPCError {
        RPCError(.invalidRequest, "frame of \(length) bytes exceeds the maximum of \(maximum)", reason: "frame too large")
    }
}

/// An error that knows how to render itself as a JSON-RPC error object.
///
/// Module error types adopt it so a method handler can throw them directly; anything else a
/// handler throws becomes a `ServiceException` (-32603).
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}

extension RPCError: RPCErrorConvertible {
    /// Itself.
    public var rpcError: RPCError { self }
}

extension RPCError {
    /// The wire error for anything a handler threw.
    static func from(_ error: any Error) -> RPCError {
        if let convertible = error as? any RPCErrorConvertible { return convertible.rpcError }
        if error is CancellationError { return RPCError(.cancelled, "request cancelled") }
        return RPCError(.internalError, "internal error: \(error)")
    }
}

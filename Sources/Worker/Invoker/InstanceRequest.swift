/// Where an instance listens: always a loopback or container address the backend gave out.
public struct Endpoint: Sendable, Hashable, Codable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}

/// One HTTP POST to an instance.
public struct InstanceRequest: Sendable {
    /// The Lambda invoke path every runtime interface emulator serves.
    public static let invokePath = "/2015-03-31/functions/function/invocations"

    public var endpoint: Endpoint
    public var path: String
    public var body: [UInt8]
    public var headers: [(String, String)]
    /// The whole exchange's deadline: the function's timeout plus a grace period.
    public var timeout: Duration

    public init(endpoint: Endpoint, path: String = InstanceRequest.invokePath, body: [UInt8],
                headers: [(String, String)] = [], timeout: Duration) {
        self.endpoint = endpoint
        self.path = path
        self.body = body
        self.headers = headers
        self.timeout = timeout
    }
}

/// A response as it arrives: the head once, then body chunks in order, then trailers if the
/// instance sent any (a streamed response reports a late function error there).
public enum InstanceResponsePart: Sendable, Hashable {
    case head(status: Int, headers: [String: String])
    case body([UInt8])
    /// Names lowercased, like the head's.
    case trailers([String: String])
}

/// A whole response, for callers that do not stream.
public struct InstanceResponse: Sendable, Hashable {
    public var status: Int
    /// Header (and trailer) names are lowercased.
    public var headers: [String: String]
    public var body: [UInt8]
}

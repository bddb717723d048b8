/// Where an instance listens: always a loopback or container address the backend gave out.
package struct Endpoint: Sendable, Hashable, Codable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    package var description: String { "\(host):\(port)" }
}

/// One HTTP POST to an instance.
package struct InstanceRequest: Sendable {
    /// The Lambda invoke path every runtime interface emulator serves.
    package static let invokePath = "/2015-03-31/functions/function/invocations"

    package var endpoint: Endpoint
    package var path: String
    package var body: [UInt8]
    package var headers: [(String, String)]
    /// The whole exchange's deadline: the function's timeout plus a grace period.
    package var timeout: Duration

    package init(
        endpoint: Endpoint, path: String = InstanceRequest.invokePath, body: [UInt8],
        headers: [(String, String)] = [], timeout: Duration
    ) {
        self.endpoint = endpoint
        self.path = path
        self.body = body
        self.headers = headers
        self.timeout = timeout
    }
}

/// A response as it arrives: the head once, then body chunks in order, then trailers if the
/// instance sent any (a streamed response reports a late function error there).
package enum InstanceResponsePart: Sendable, Hashable {
    case head(status: Int, headers: [String: String])
    case body([UInt8])
    /// Names lowercased, like the head's.
    case trailers([String: String])
}

/// A whole response, for callers that do not stream.
package struct InstanceResponse: Sendable, Hashable {
    package var status: Int
    /// Header (and trailer) names are lowercased.
    package var headers: [String: String]
    package var body: [UInt8]
}

import CShoalCurl
import Foundation

/// One HTTP exchange with the engine over its unix socket, as libcurl's blocking easy
/// interface performs it. Only ever called on the engine client's own threads (never on
/// Swift's cooperative pool): a wait or a pull blocks for as long as it takes.
enum CurlTransfer {
    /// libcurl's global state, set up once before the first handle.
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Collects the answer's bytes, handed to libcurl's write callback as its context.
    private final class Sink {
        var bytes: [UInt8] = []
        var onChunk: ((UnsafeRawBufferPointer) -> Void)?
    }

    /// Performs `request` against the engine at `socketPath`; `onChunk`, when given, hears
    /// the body as it arrives (a pull's progress) instead of it being collected.
    static func perform(
        socketPath: String, _ request: EngineRequest, onChunk: ((UnsafeRawBufferPointer) -> Void)? = nil
    ) throws(DockerError) -> EngineResponse {
        try perform(url: "http://docker" + request.path, socketPath: socketPath, request, onChunk: onChunk)
    }

    /// The same exchange with any URL; without `socketPath`, over TCP.
    static func perform(
        url: String, socketPath: String?, _ request: EngineRequest, onChunk: ((UnsafeRawBufferPointer) -> Void)? = nil
    ) throws(DockerError) -> EngineResponse {
        guard initialized, let handle = curl_easy_init() else { throw DockerError(.unreachable, "libcurl could not be initialized") }
        defer { curl_easy_cleanup(handle) }
        var headers: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headers) }
        let sink = Sink()
        sink.onChunk = onChunk
        let context = Unmanaged.passUnretained(sink).toOpaque()
        let write: shoal_curl_data_callback = { data, size, count, context in
            let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
            if let onChunk = sink.onChunk { onChunk(bytes) } else { sink.bytes.append(contentsOf: bytes) }
            return size * count
        }
        var failure: CURLcode = CURLE_OK
        func set(_ code: CURLcode) { if failure == CURLE_OK { failure = code } }
        if let socketPath { set(shoal_curl_set_string(handle, CURLOPT_UNIX_SOCKET_PATH, socketPath)) }
        set(shoal_curl_set_string(handle, CURLOPT_URL, url))
        set(shoal_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method))
        set(shoal_curl_set_callback(handle, CURLOPT_WRITEFUNCTION, write))
        set(shoal_curl_set_pointer(handle, CURLOPT_WRITEDATA, context))
        set(shoal_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))
        set(shoal_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, 5000))
        if let timeout = request.timeout {
            let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
            set(shoal_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(milliseconds)))
        }
        headers = curl_slist_append(headers, "Content-Type: \(request.contentType)")
        // No "Expect: 100-continue" round trip before an archive upload.
        headers = curl_slist_append(headers, "Expect:")
        set(shoal_curl_set_list(handle, CURLOPT_HTTPHEADER, headers))
        let code: CURLcode = request.body.withUnsafeBytes { body in
            // A GET or DELETE carries no body; any other method sends its body (maybe empty,
            // with its Content-Length).
            if !(request.body.isEmpty && (request.method == "GET" || request.method == "DELETE")) {
                set(
                    shoal_curl_set_pointer(
                        handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: body.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)))
                set(shoal_curl_set_size(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            }
            guard failure == CURLE_OK else { return failure }
            return curl_easy_perform(handle)
        }
        guard code == CURLE_OK else {
            let why = String(cString: curl_easy_strerror(code))
            throw DockerError(.unreachable, "\(socketPath.map { "the Docker engine at \($0)" } ?? url) could not be reached: \(why)")
        }
        var status = 0
        _ = shoal_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return EngineResponse(status: status, body: sink.bytes)
    }
}

/// A request to the engine: its method, its path with the query, and its body.
package struct EngineRequest: Sendable {
    package var method: String
    package var path: String
    package var body: [UInt8] = []
    package var contentType = "application/json"
    /// Nil: as long as the engine takes (a wait, a pull).
    package var timeout: Duration? = .seconds(60)

    package init(_ method: String, _ path: String, body: [UInt8] = [], contentType: String = "application/json", timeout: Duration? = .seconds(60)) {
        self.method = method
        self.path = path
        self.body = body
        self.contentType = contentType
        self.timeout = timeout
    }
}

/// The engine's answer.
package struct EngineResponse: Sendable {
    package var status: Int
    package var body: [UInt8]

    /// The engine's error message (`{"message": ...}`), or the body as text.
    package var message: String {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let message = object["message"] as? String {
            return message
        }
        return String(decoding: body, as: UTF8.self)
    }
}

import CCurl

/// Where a transfer's response goes: a stream of parts as they arrive, or, for callers that
/// want the whole response, one continuation resumed once (one wake-up of the waiting task
/// instead of one per part).
enum CurlSink {
    case stream(AsyncThrowingStream<InstanceResponsePart, any Error>.Continuation, ReadWindow)
    case whole(CheckedContinuation<InstanceResponse, any Error>)
}

/// One HTTP POST in flight on the curl thread: its easy handle, its request body and the
/// sink its response goes to. Touched only on the curl thread once added.
final class CurlTransfer {
    let easy: UnsafeMutableRawPointer
    private let sink: CurlSink
    private var collected = InstanceResponse(status: 0, headers: [:], body: [])
    private var body: UnsafeMutableRawBufferPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var headers: [String: String] = [:]
    private var trailers: [String: String] = [:]
    private var headSent = false

    init?(request: InstanceRequest, configuration: CurlInvoker.Configuration, sink: CurlSink) {
        guard let easy = curl_easy_init() else { return nil }
        self.easy = easy
        self.sink = sink
        body = .allocate(byteCount: max(request.body.count, 1), alignment: 1)
        request.body.withUnsafeBytes { body.copyMemory(from: $0) }
        // An empty "Expect:" stops curl from waiting for 100-continue on large bodies.
        for header in request.headers + [("Expect", "")] {
            headerList = curl_slist_append(headerList, "\(header.0): \(header.1)")
        }
        let url = "http://\(request.endpoint.host):\(request.endpoint.port)\(request.path)"
        shoal_curl_easy_setopt_string(easy, CURLOPT_URL, url)
        shoal_curl_easy_setopt_long(easy, CURLOPT_POST, 1)
        shoal_curl_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, body.baseAddress)
        shoal_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
        shoal_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)
        shoal_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        shoal_curl_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1)
        shoal_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.milliseconds)
        shoal_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, request.timeout.milliseconds)
        let me = Unmanaged.passUnretained(self).toOpaque()
        shoal_curl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback)
        shoal_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        shoal_curl_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        shoal_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        body.deallocate()
    }

    /// A header line; the blank line that ends the head sends the head downstream. Parsed
    /// on bytes: this runs for every header of every response.
    func headerLine(_ line: UnsafeRawBufferPointer) {
        var end = line.count
        while end > 0, line[end - 1] == UInt8(ascii: "\n") || line[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        if end == 0 {
            guard !headSent else { return } // the blank line after trailers
            var code = 0
            shoal_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
            if code >= 200 { sendHead(status: code) }
            return
        }
        if !headSent, end >= 5, line[0] == UInt8(ascii: "H"), line[1] == UInt8(ascii: "T"), line[2] == UInt8(ascii: "T"), line[3] == UInt8(ascii: "P") {
            headers = [:] // a new response head (after a 100 Continue, say)
            return
        }
        guard let colon = (0..<end).first(where: { line[$0] == UInt8(ascii: ":") }) else { return }
        var valueStart = colon + 1
        while valueStart < end, line[valueStart] == UInt8(ascii: " ") || line[valueStart] == UInt8(ascii: "\t") { valueStart += 1 }
        let name = String(unsafeUninitializedCapacity: colon) { buffer in
            for index in 0..<colon {
                let byte = line[index]
                buffer[index] = (65...90).contains(byte) ? byte + 32 : byte
            }
            return colon
        }
        let value = String(decoding: UnsafeRawBufferPointer(rebasing: line[valueStart..<end]), as: UTF8.self)
        if headSent { trailers[name] = value } else { headers[name] = value }
    }

    /// Body bytes from curl; false when the reader's window is full and the transfer must
    /// pause (curl keeps these bytes and offers them again once unpaused).
    func bodyBytes(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if !headSent { sendHead(status: 200) }
        switch sink {
        case .stream(let continuation, let window):
            guard window.admit(bytes.count) else { return false }
            continuation.yield(.body(Array(bytes)))
        case .whole: collected.body.append(contentsOf: bytes)
        }
        return true
    }

    /// Ends the transfer with an error (cancellation, shutdown, or a failed transfer).
    func fail(_ error: any Error) {
        switch sink {
        case .stream(let continuation, _): continuation.finish(throwing: error)
        case .whole(let continuation): continuation.resume(throwing: error)
        }
    }

    /// The transfer ended; classify a failure by whether the request could have been seen.
    func finished(_ result: CURLcode) {
        guard result == CURLE_OK else {
            var requestSize = 0
            shoal_curl_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestSize)
            let reason = String(cString: curl_easy_strerror(result))
            let error: WorkerError
            if result == CURLE_COULDNT_CONNECT || result == CURLE_COULDNT_RESOLVE_HOST || requestSize == 0 {
                error = WorkerError(.notDelivered, "request never reached the instance: \(reason)")
            } else if result == CURLE_OPERATION_TIMEDOUT {
                error = WorkerError(.timedOut, "instance did not answer in time: \(reason)")
            } else {
                error = WorkerError(.transferFailed, "transfer failed after the request was sent: \(reason)")
            }
            fail(error)
            return
        }
        if !headSent {
            var code = 0
            shoal_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
            sendHead(status: code)
        }
        switch sink {
        case .stream(let continuation, _):
            if !trailers.isEmpty { continuation.yield(.trailers(trailers)) }
            continuation.finish()
        case .whole(let continuation):
            collected.headers.merge(trailers) { $1 }
            continuation.resume(returning: collected)
        }
    }

    private func sendHead(status: Int) {
        guard !headSent else { return }
        headSent = true
        switch sink {
        case .stream(let continuation, _): continuation.yield(.head(status: status, headers: headers))
        case .whole:
            collected.status = status
            collected.headers = headers
        }
    }
}

private let curlWriteCallback: shoal_curl_data_callback = { data, size, count, userdata in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
    let length = size * count
    return transfer.bodyBytes(UnsafeRawBufferPointer(start: data, count: length)) ? length : shoal_curl_writefunc_pause()
}

private let curlHeaderCallback: shoal_curl_data_callback = { data, size, count, userdata in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
    let length = size * count
    transfer.headerLine(UnsafeRawBufferPointer(start: data, count: length))
    return length
}

extension Duration {
    /// Whole milliseconds, rounded up, for libcurl's `_MS` options.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}

import Foundation

/// Mediates between the invoke caller and the runtime process of one instance.
///
/// The caller's invoke becomes an `Invocation` that the runtime takes with
/// `/runtime/invocation/next`; the runtime's response, error or streamed body becomes the
/// caller's response. The broker also enforces what AWS's emulator does not: one invocation
/// at a time (a second gets an immediate refusal), the function timeout (`Sandbox.Timedout`,
/// and the runtime is killed and restarted before the next invoke), and a runtime that exits
/// mid-invocation (`Runtime.ExitError` with its status).
package actor InvocationBroker {
    /// The in-flight invocation and where its response goes.
    struct Pending {
        var invocation: Invocation
        var sink: AsyncStream<ResponseEvent>.Continuation
        var delivered = false
        /// The runtime began a streamed response (a second response is a state error).
        var responding = false
        /// Its content type, sent in the head with the first byte.
        var streamContentType = "application/octet-stream"
        /// The head went to the caller: from here a failure can only be reported in trailers.
        var headSent = false
        var startedAt: ContinuousClock.Instant
        var logStart: Int
        var wantsLogTail: Bool
        var timeoutTask: Task<Void, Never>?
    }

    package let configuration: Configuration
    let logs: LogBuffer
    private let startRuntime: @Sendable () -> RuntimeProcess
    private var runtime: RuntimeProcess?
    private var runtimeEpoch = 0
    private var waitingForNext: CheckedContinuation<Invocation?, Never>?
    private var current: Pending?
    /// The last invocation answered: a second answer for it is a state error, not an unknown id.
    private var lastFinishedID: String?

    /// `startRuntime` launches the runtime process; the broker calls it lazily (before the
    /// first invoke, and again after a timeout or a crash killed the previous one).
    package init(configuration: Configuration, logs: LogBuffer, startRuntime: @escaping @Sendable () -> RuntimeProcess) {
        self.configuration = configuration
        self.logs = logs
        self.startRuntime = startRuntime
    }

    /// Starts the runtime now, before any invoke: its init overlaps with whatever brings the
    /// first invoke (a worker's launch handshake). An init that fails is retried at that invoke.
    package func startRuntimeEarly() {
        ensureRuntime()
    }

    /// The runtime's process id, if one runs.
    package var runtimePID: pid_t? { runtime?.pid }

    // MARK: The invoke side

    package func invoke(
        payload: [UInt8], clientContext: String? = nil, cognitoIdentity: String? = nil, wantsLogTail: Bool = false
    ) throws(InvokeRefusal) -> AsyncStream<ResponseEvent> {
        if let current { throw .busy(inFlight: current.invocation.requestID) }
        guard payload.count <= configuration.maximumPayloadBytes else { throw .tooLarge(payload.count) }
        ensureRuntime()
        let (stream, sink) = AsyncStream.makeStream(of: ResponseEvent.self)
        let requestID = UUID().uuidString.lowercased()
        let invocation = Invocation(
            requestID: requestID, payload: payload, deadline: Date(), functionARN: configuration.functionARN,
            traceID:
                "Root=1-\(String(Int(Date().timeIntervalSince1970), radix: 16))-\(requestID.replacingOccurrences(of: "-", with: "").prefix(24));Sampled=0",
            clientContext: clientContext, cognitoIdentity: cognitoIdentity
        )
        let logStart = logs.end
        log("START RequestId: \(requestID) Version: \(configuration.version)")
        current = Pending(invocation: invocation, sink: sink, startedAt: .now, logStart: logStart, wantsLogTail: wantsLogTail)
        if let waiter = waitingForNext {
            waitingForNext = nil
            waiter.resume(returning: deliverCurrent())
        } else {
            // The runtime is starting (or busy restarting): it gets its own budget for that.
            arm(requestID: requestID, after: configuration.initTimeout, initializing: true)
        }
        return stream
    }

    /// Hands the pending invocation to the runtime: its deadline and timeout start now.
    private func deliverCurrent() -> Invocation {
        current!.delivered = true
        current!.invocation.deadline = Date().addingTimeInterval(Self.seconds(configuration.timeout))
        arm(requestID: current!.invocation.requestID, after: configuration.timeout, initializing: false)
        return current!.invocation
    }

    private func arm(requestID: String, after limit: Duration, initializing: Bool) {
        current?.timeoutTask?.cancel()
        current?.timeoutTask = Task { [weak self] in
            try? await Task.sleep(for: limit)
            if !Task.isCancelled { await self?.timedOut(requestID, initializing: initializing) }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    // MARK: The Runtime API side

    /// `GET /runtime/invocation/next`: the next invocation, waiting for one; nil when the
    /// runtime is being stopped.
    package func next() async -> Invocation? {
        if let pending = current, !pending.delivered {
            return deliverCurrent()
        }
        waitingForNext?.resume(returning: nil)  // a runtime polls once at a time
        return await withCheckedContinuation { waitingForNext = $0 }
    }

    /// `POST /runtime/invocation/{id}/response`, whole.
    package func respond(_ requestID: String, body: [UInt8]) async -> APIOutcome {
        guard body.count <= configuration.maximumPayloadBytes else { return await respondTooLarge(requestID, size: body.count) }
        if let refusal = check(requestID) { return refusal }
        await drainRuntimeOutput()
        if let refusal = check(requestID) { return refusal }
        finish(status: 200, functionError: nil, body: body)
        return .accepted
    }

    /// A response over the payload limit: the runtime gets 413, the caller a function error.
    package func respondTooLarge(_ requestID: String, size: Int) async -> APIOutcome {
        if let refusal = check(requestID) { return refusal }
        await drainRuntimeOutput()
        if let refusal = check(requestID) { return refusal }
        finish(
            status: 200, functionError: "Unhandled",
            body: Self.errorDocument(
                type: "Function.ResponseSizeTooLarge",
                message: "Response payload size (\(size) bytes) exceeded maximum allowed payload size (\(configuration.maximumPayloadBytes) bytes)."
            ))
        return .tooLarge("response of \(size) bytes exceeds \(configuration.maximumPayloadBytes)")
    }

    /// `POST /runtime/invocation/{id}/response` in streaming mode: the head goes to the
    /// caller with the first byte (and the content type the runtime gave its stream), so a
    /// function that fails before it writes anything fails as a buffered one does.
    package func beginStreaming(_ requestID: String, contentType: String? = nil) -> APIOutcome {
        if let refusal = check(requestID) { return refusal }
        current!.responding = true
        if let contentType { current!.streamContentType = contentType }
        return .accepted
    }

    package func streamChunk(_ requestID: String, _ bytes: [UInt8]) {
        guard let pending = current, pending.invocation.requestID == requestID, pending.responding, !bytes.isEmpty else { return }
        sendHead()
        pending.sink.yield(.body(bytes))
    }

    private func sendHead() {
        guard let pending = current, !pending.headSent else { return }
        current!.headSent = true
        pending.sink.yield(.head(status: 200, headers: ["Content-Type": pending.streamContentType]))
    }

    /// The streamed response ended; an error type in the runtime's trailers makes it a
    /// function error: reported in the caller's trailers once bytes went, else as a buffered
    /// error.
    package func endStreaming(_ requestID: String, errorType: String?, errorBody: String?) async {
        await drainRuntimeOutput()
        guard let pending = current, pending.invocation.requestID == requestID, pending.responding else { return }
        let body = errorBody.flatMap { Data(base64Encoded: $0) }.map(Array.init) ?? []
        switch (errorType, pending.headSent) {
        case (let errorType?, false):
            finish(status: 200, functionError: "Unhandled", body: Self.errorBody(body, type: errorType))
        case (let errorType?, true):
            if !body.isEmpty { pending.sink.yield(.body(body)) }
            finishStreamed(trailers: ["X-Amz-Function-Error": "Unhandled", "Lambda-Runtime-Function-Error-Type": errorType])
        case (nil, _):
            sendHead()
            finishStreamed(trailers: [:])
        }
    }

    /// `POST /runtime/invocation/{id}/error`.
    package func fail(_ requestID: String, errorType: String?, body: [UInt8]) async -> APIOutcome {
        if let refusal = check(requestID) { return refusal }
        await drainRuntimeOutput()
        if let refusal = check(requestID) { return refusal }
        finish(status: 200, functionError: "Unhandled", body: Self.errorBody(body, type: errorType ?? "Runtime.Unknown"))
        return .accepted
    }

    /// `POST /runtime/init/error`: the runtime could not initialize. The pending invocation
    /// (if any) gets the runtime's error; the runtime is stopped and restarted next time.
    package func initFailed(errorType: String?, body: [UInt8]) async -> APIOutcome {
        let document = Self.errorBody(body, type: errorType ?? "Runtime.InitError")
        if current != nil, !(current!.headSent) {
            finish(status: 200, functionError: "Unhandled", body: document)
        }
        await stopRuntime()
        return .accepted
    }

    /// What the runtime printed before it answered belongs to this invocation's log: wait
    /// (briefly) until its output pipe is read before the END line is written.
    private func drainRuntimeOutput() async {
        await runtime?.drainOutput()
    }

    // MARK: Runtime lifecycle

    private func ensureRuntime() {
        guard runtime == nil else { return }
        runtimeEpoch += 1
        let epoch = runtimeEpoch
        let process = startRuntime()
        runtime = process
        Task { [weak self] in
            let exit = await process.exited
            await self?.runtimeExited(epoch: epoch, exit)
        }
    }

    private func runtimeExited(epoch: Int, _ exit: RuntimeProcess.Exit) {
        guard epoch == runtimeEpoch, runtime != nil else { return }
        runtime = nil
        waitingForNext?.resume(returning: nil)
        waitingForNext = nil
        guard let pending = current else { return }
        let message = "RequestId: \(pending.invocation.requestID) Error: Runtime exited with error: \(exit)"
        log(message)
        if pending.headSent {
            finishStreamed(trailers: ["X-Amz-Function-Error": "Unhandled", "Lambda-Runtime-Function-Error-Type": "Runtime.ExitError"])
        } else {
            finish(status: 200, functionError: "Unhandled", body: Self.errorDocument(type: "Runtime.ExitError", message: message))
        }
    }

    private func timedOut(_ requestID: String, initializing: Bool) async {
        guard let pending = current, pending.invocation.requestID == requestID, pending.delivered != initializing else { return }
        let message =
            initializing
            ? "RequestId: \(requestID) Error: Runtime did not ask for the event within \(String(format: "%.2f", Self.seconds(configuration.initTimeout))) seconds of starting"
            : "RequestId: \(requestID) Error: Task timed out after \(String(format: "%.2f", Self.seconds(configuration.timeout))) seconds"
        log(message)
        if pending.headSent {
            finishStreamed(trailers: ["X-Amz-Function-Error": "Unhandled", "Lambda-Runtime-Function-Error-Type": "Sandbox.Timedout"])
        } else {
            finish(status: 200, functionError: "Unhandled", body: Self.errorDocument(type: "Sandbox.Timedout", message: message))
        }
        await stopRuntime()
    }

    /// Kills the runtime (its whole process group); the next invoke starts a fresh one.
    package func stopRuntime() async {
        guard let process = runtime else { return }
        runtime = nil
        runtimeEpoch += 1
        waitingForNext?.resume(returning: nil)
        waitingForNext = nil
        await process.stop()
    }

    // MARK: Completion

    /// The refusal for a Runtime API call about `requestID`, or nil if it may proceed.
    private func check(_ requestID: String) -> APIOutcome? {
        guard let pending = current, pending.invocation.requestID == requestID else {
            if requestID == lastFinishedID {
                return .invalidStateTransition("invocation \(requestID) already has a response")
            }
            return .invalidRequestID("no invocation \(requestID) is in flight")
        }
        guard pending.delivered, !pending.responding else {
            return .invalidStateTransition("invocation \(requestID) already has a response")
        }
        return nil
    }

    private func finish(status: Int, functionError: String?, body: [UInt8]) {
        guard let pending = current else { return }
        current = nil
        lastFinishedID = pending.invocation.requestID
        pending.timeoutTask?.cancel()
        writeEndLines(pending)
        var headers = ["Content-Type": "application/json", "Content-Length": "\(body.count)"]
        if let functionError { headers["X-Amz-Function-Error"] = functionError }
        if pending.wantsLogTail { headers["X-Amz-Log-Result"] = logTail(pending) }
        pending.sink.yield(.head(status: status, headers: headers))
        if !body.isEmpty { pending.sink.yield(.body(body)) }
        pending.sink.yield(.end(trailers: [:]))
        pending.sink.finish()
    }

    private func finishStreamed(trailers: [String: String]) {
        guard let pending = current else { return }
        current = nil
        lastFinishedID = pending.invocation.requestID
        pending.timeoutTask?.cancel()
        writeEndLines(pending)
        var trailers = trailers
        // The head left before the log was complete: a streamed invocation's tail is a trailer
        // (AWS puts it in the stream's InvokeComplete event).
        if pending.wantsLogTail { trailers["X-Amz-Log-Result"] = logTail(pending) }
        pending.sink.yield(.end(trailers: trailers))
        pending.sink.finish()
    }

    /// Base64 of the invocation's log, at most its last `logTailBytes`.
    private func logTail(_ pending: Pending) -> String {
        Data(logs.tail(from: pending.logStart, limit: configuration.logTailBytes)).base64EncodedString()
    }

    private func writeEndLines(_ pending: Pending) {
        let elapsed = ContinuousClock.now - pending.startedAt
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let id = pending.invocation.requestID
        log("END RequestId: \(id)")
        log(
            String(
                format: "REPORT RequestId: %@\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
                id, milliseconds, Int(milliseconds.rounded(.up)), configuration.memoryMB, maxMemoryUsedMB()
            ))
    }

    /// A line of the instance's log: into the buffer (for tails) and, if configured, stderr.
    private func log(_ line: String) {
        logs.append(line: line)
        if configuration.echoLogLines { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// Peak resident memory of the runtime process, from /proc (VmHWM), in MB.
    private func maxMemoryUsedMB() -> Int {
        guard let pid = runtime?.pid,
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return (kilobytes + 1023) / 1024
    }

    /// The runtime's error body, with its type filled in from the header when the body lacks one.
    static func errorBody(_ body: [UInt8], type: String) -> [UInt8] {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return errorDocument(type: type, message: String(decoding: body, as: UTF8.self))
        }
        if object["errorType"] == nil { object["errorType"] = type }
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(body))
    }
}

import CCurl
import Foundation
import NIOConcurrencyHelpers

/// HTTP to instances on libcurl, driven through its multi interface from one dedicated thread.
///
/// No curl call ever runs on Swift's cooperative pool: callers hand a request to the loop
/// thread (a lock and a `curl_multi_wakeup`) and read the response from an
/// AsyncThrowingStream the loop feeds as bytes arrive. The multi handle's connection cache
/// keeps one kept-alive connection per instance endpoint, so a warm invoke reuses it.
/// Cancelling the reading task removes the transfer (the connection is dropped), which is
/// how an invocation is aborted.
public final class CurlInvoker: Sendable {
    public struct Configuration: Sendable {
        /// How long establishing a connection may take.
        public var connectTimeout: Duration = .milliseconds(1500)
        /// Idle connections kept for reuse (one per warm instance).
        public var maximumCachedConnections: Int = 4096
        /// Streamed body bytes held for a reader before the transfer pauses.
        public var streamReadWindow: Int = 1024 * 1024

        public init(connectTimeout: Duration = .milliseconds(1500), maximumCachedConnections: Int = 4096, streamReadWindow: Int = 1024 * 1024) {
            self.connectTimeout = connectTimeout
            self.maximumCachedConnections = maximumCachedConnections
            self.streamReadWindow = streamReadWindow
        }
    }

    private enum Command {
        case add(UInt64, InstanceRequest, CurlSink)
        case cancel(UInt64)
        case resume(UInt64)
    }

    private struct Inbox {
        var commands: [Command] = []
        var nextID: UInt64 = 1
        var stopping = false
    }

    public let configuration: Configuration
    private let multi: MultiHandle
    private let inbox = NIOLockedValueBox(Inbox())
    private let stopped = NIOLockedValueBox(false)

    public init(configuration: Configuration = .init()) {
        CurlLibrary.initialize()
        self.configuration = configuration
        self.multi = MultiHandle(maximumCachedConnections: configuration.maximumCachedConnections)
        let thread = Thread { [multi, inbox, configuration, stopped] in
            Self.runLoop(multi: multi, inbox: inbox, configuration: configuration)
            stopped.withLockedValue { $0 = true }
        }
        thread.name = "shoal-curl"
        thread.start()
    }

    /// Sends the request; the stream yields the head, then body chunks, and ends with the
    /// response or a `WorkerError` (`.notDelivered`, `.transferFailed`, `.timedOut`). At most
    /// `streamReadWindow` bytes wait for the reader; past that the transfer pauses.
    public func stream(_ request: InstanceRequest) -> CurlResponseStream {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: InstanceResponsePart.self)
        let window = ReadWindow(limit: configuration.streamReadWindow)
        guard let id = submit(request, .stream(continuation, window)) else {
            continuation.finish(throwing: WorkerError(.shuttingDown, "the invoker is shut down"))
            return CurlResponseStream(parts: stream, window: window, resume: {})
        }
        continuation.onTermination = { [self] termination in
            if case .cancelled = termination { cancel(id) }
        }
        return CurlResponseStream(parts: stream, window: window, resume: { [self] in
            inbox.withLockedValue { $0.commands.append(.resume(id)) }
            multi.wakeUp()
        })
    }

    /// Sends the request and returns the whole response; the waiting task is woken once.
    /// Cancelling it aborts the transfer.
    public func send(_ request: InstanceRequest) async throws -> InstanceResponse {
        let id = NIOLockedValueBox<UInt64?>(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard let submitted = submit(request, .whole(continuation)) else {
                    continuation.resume(throwing: WorkerError(.shuttingDown, "the invoker is shut down"))
                    return
                }
                let cancelled = id.withLockedValue { stored in
                    defer { stored = submitted }
                    return stored == UInt64.max
                }
                if cancelled { cancel(submitted) }
            }
        } onCancel: {
            let submitted = id.withLockedValue { stored -> UInt64? in
                defer { if stored == nil { stored = UInt64.max } }
                return stored
            }
            if let submitted { cancel(submitted) }
        }
    }

    private func submit(_ request: InstanceRequest, _ sink: CurlSink) -> UInt64? {
        let id: UInt64? = inbox.withLockedValue { inbox in
            guard !inbox.stopping else { return nil }
            let id = inbox.nextID
            inbox.nextID += 1
            inbox.commands.append(.add(id, request, sink))
            return id
        }
        if id != nil { multi.wakeUp() }
        return id
    }

    private func cancel(_ id: UInt64) {
        inbox.withLockedValue { $0.commands.append(.cancel(id)) }
        multi.wakeUp()
    }

    /// Stops the loop thread; transfers in flight fail with `.shuttingDown`.
    public func shutdown() async {
        inbox.withLockedValue { $0.stopping = true }
        multi.wakeUp()
        while !stopped.withLockedValue({ $0 }) {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    // MARK: The loop thread

    private static func runLoop(multi: MultiHandle, inbox: NIOLockedValueBox<Inbox>, configuration: Configuration) {
        var transfers: [UInt64: CurlTransfer] = [:]
        var idsByHandle: [UnsafeMutableRawPointer: UInt64] = [:]
        while true {
            let (commands, stopping) = inbox.withLockedValue { inbox in
                defer { inbox.commands.removeAll(keepingCapacity: true) }
                return (inbox.commands, inbox.stopping)
            }
            for command in commands {
                switch command {
                case .add(let id, let request, let sink):
                    guard let transfer = CurlTransfer(request: request, configuration: configuration, sink: sink) else {
                        switch sink {
                        case .stream(let continuation, _): continuation.finish(throwing: WorkerError(.notDelivered, "curl_easy_init failed"))
                        case .whole(let continuation): continuation.resume(throwing: WorkerError(.notDelivered, "curl_easy_init failed"))
                        }
                        continue
                    }
                    transfers[id] = transfer
                    idsByHandle[transfer.easy] = id
                    curl_multi_add_handle(multi.handle, transfer.easy)
                case .cancel(let id):
                    guard let transfer = transfers.removeValue(forKey: id) else { continue }
                    idsByHandle[transfer.easy] = nil
                    curl_multi_remove_handle(multi.handle, transfer.easy)
                    transfer.fail(CancellationError())
                case .resume(let id):
                    guard let transfer = transfers[id] else { continue }
                    shoal_curl_easy_unpause(transfer.easy)
                }
            }
            if stopping {
                for (_, transfer) in transfers {
                    curl_multi_remove_handle(multi.handle, transfer.easy)
                    transfer.fail(WorkerError(.shuttingDown, "the invoker is shutting down"))
                }
                multi.close()
                return
            }
            var running: Int32 = 0
            curl_multi_perform(multi.handle, &running)
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi.handle, &remaining) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                      let id = idsByHandle.removeValue(forKey: easy),
                      let transfer = transfers.removeValue(forKey: id) else { continue }
                let result = message.pointee.data.result
                curl_multi_remove_handle(multi.handle, easy)
                transfer.finished(result)
            }
            curl_multi_poll(multi.handle, nil, 0, 1000, nil)
        }
    }
}

/// The multi handle, shared between the loop thread (which alone drives it) and callers
/// (which only wake it, and `curl_multi_wakeup` is documented as thread-safe).
private final class MultiHandle: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    init(maximumCachedConnections: Int) {
        handle = curl_multi_init()
        shoal_curl_multi_setopt_long(handle, CURLMOPT_MAXCONNECTS, maximumCachedConnections)
    }

    func wakeUp() {
        curl_multi_wakeup(handle)
    }

    func close() {
        curl_multi_cleanup(handle)
    }
}

import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One JSON-RPC 2.0 connection, usable from both ends at once: it makes calls and answers them.
///
/// Many calls share the connection; each gets its own id and its own continuation, and answers may
/// come back in any order. Requests from the peer run as separate tasks, so a slow one never
/// holds up the rest. Notifications are handled on the event loop in arrival order, which is
/// what keeps a stream's chunks in order.
///
/// State lives behind one lock and is touched for a few dictionary operations per call; all
/// encoding happens on the calling task, all decoding on the event loop. This file holds the
/// calling side; `RPCConnection+Serving.swift` the answering side.
public final class RPCConnection: Sendable {
    /// The NIO channel underneath.
    public let channel: any Channel
    /// How this connection frames, times out and logs.
    public let configuration: Configuration
    let methods: RPCMethodTable
    let state = NIOLockedValueBox(State())
    /// A flush is queued on the event loop (write coalescing, `RPCConnection+Flush.swift`).
    let flushScheduled: NIOLoopBoundBox<Bool>

    /// The task waiting in `call` for the call's outcome.
    struct Waiter {
        var continuation: UnsafeContinuation<any Sendable, any Error>

        func resume(_ result: Result<any Sendable, RPCError>) {
            continuation.resume(with: result.mapError { $0 as any Error })
        }
    }

    struct PendingCall {
        var waiter: Waiter
        /// What the answer's result decodes to: metatypes, not closures, so a call allocates
        /// nothing for them.
        var resultType: any (Decodable & Sendable).Type
        var fastResultType: (any RPCJSONReadable.Type)?
        var written = false
        /// When the call times out, and after how long (for the error message).
        var deadline: NIODeadline?
        var timeout: Duration = .zero
    }

    struct ServedRequest {
        var token: UInt64
        /// The task serving the request, once it exists.
        var task: Task<Void, Never>?
        var cancelRequested = false
    }

    struct State {
        var nextID: Int64 = 1
        var nextToken: UInt64 = 1
        var pending: [RPCID: PendingCall] = [:]
        var served: [RPCID: ServedRequest] = [:]
        var closeAfterAnswer: Set<RPCID> = []
        /// Batches whose answers are still being worked out (their members are not in
        /// `served`), by token: the task working on each, once it exists.
        var batches: [UInt64: Task<Void, Never>?] = [:]
        var isClosed = false
        /// The one timer for every pending call's timeout (`RPCConnection+Timeouts.swift`).
        var sweepAt: NIODeadline?
        var sweepTimer: Scheduled<Void>?
    }

    init(channel: any Channel, methods: RPCMethodTable, configuration: Configuration) {
        self.channel = channel
        self.methods = methods
        self.configuration = configuration
        self.flushScheduled = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
    }

    /// Connects to a JSON-RPC server and returns the client end of the connection.
    public static func connect(
        host: String,
        port: Int,
        methods: RPCMethodTable = RPCMethodTable(),
        configuration: Configuration = Configuration(),
        connectTimeout: TimeAmount = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RPCConnection {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try RPCConnection.install(on: channel, methods: methods, configuration: configuration)
                }
            }
        return channel
    }

    /// Adds the framing and RPC handlers to a fresh channel; call on its event loop.
    static func install(on channel: any Channel, methods: RPCMethodTable, configuration: Configuration) throws -> RPCConnection {
        let connection = RPCConnection(channel: channel, methods: methods, configuration: configuration)
        try channel.syncOptions?.setOption(
            .writeBufferWaterMark,
            value: .init(low: configuration.outboundLowWaterMark, high: configuration.outboundHighWaterMark)
        )
        try channel.pipeline.syncOperations.addHandlers(
            FrameDecoder(
                maximumFrameLength: configuration.maximumFrameLength,
                incompleteFrameTimeout: configuration.incompleteFrameTimeout
            ),
            RPCChannelHandler(connection: connection)
        )
        return connection
    }

    /// Completes when the connection has closed, for whatever reason.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// True once the connection has closed, from either end.
    public var isClosed: Bool { state.withLockedValue { $0.isClosed } }

    /// Requests from the peer not yet answered (a batch counts once): what a graceful
    /// shutdown waits for.
    public var requestsBeingServed: Int {
        state.withLockedValue { $0.served.count + $0.batches.count }
    }

    /// Closes the connection; every pending call fails with `.notSent` or `.connectionClosed`.
    public func close() async {
        try? await channel.close()
    }

    // MARK: Calls

    /// Calls `method` on the peer and waits for its answer.
    ///
    /// Throws the peer's `RPCError`, or a local one: `.notSent` (the request never left, safe to
    /// retry elsewhere), `.connectionClosed` (it left, the peer may have run it), `.timedOut`
    /// or `.cancelled` (the peer was sent `$/cancel` if the request had left; a task cancelled
    /// before the call sends nothing).
    ///
    /// `idAssigned` learns the request's id before the request is written, so notifications the
    /// peer sends about it (streamed chunks) can be routed from the first one on.
    public func call<M: RPCMethod>(
        _ method: M.Type, _ params: M.Params, timeout: Duration? = nil, idAssigned: ((RPCID) -> Void)? = nil
    ) async throws -> M.Result {
        let id: RPCID? = state.withLockedValue { state in
            guard !state.isClosed else { return nil }
            defer { state.nextID += 1 }
            return .number(state.nextID)
        }
        guard let id else { throw RPCError(.notSent, "connection closed before the request was sent") }
        // The caller waits on a bare continuation, which `finish` resumes: an event-loop
        // promise in its place cost a future, a callback and their generic metadata lookups
        // on every call.
        let value = try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<any Sendable, any Error>) in
                // Already cancelled: the handler ran before there was a call; send nothing.
                guard !Task.isCancelled else {
                    continuation.resume(throwing: RPCError(.cancelled, "call cancelled by the caller"))
                    return
                }
                begin(
                    id: id, resultType: M.Result.self, fastResultType: M.Result.self as? any RPCJSONReadable.Type,
                    timeout: timeout, idAssigned: idAssigned, answerTo: Waiter(continuation: continuation)
                ) { () throws(RPCError) in try requestFrame(M.self, params, id: id) }
                // Cancelled while the call became pending: the handler found nothing to abandon
                // then; the peer is told after the request, which this thread wrote first.
                if Task.isCancelled { abandon(id, RPCError(.cancelled, "call cancelled by the caller")) }
            }
        } onCancel: {
            self.abandon(id, RPCError(.cancelled, "call cancelled by the caller"))
        }
        return value as! M.Result
    }

    /// A request frame the generic way: `RPCCoding.frame` writes it by hand when the params
    /// can write themselves, else through `JSONEncoder`.
    private func requestFrame<M: RPCMethod>(_ method: M.Type, _ params: M.Params, id: RPCID) throws(RPCError) -> ByteBuffer {
        try encodeFrame(RequestEnvelope(id: id, method: M.name, params: params), orThrow: .notSent)
    }

    /// Makes the call pending, then writes the request `encode` makes; every outcome reaches
    /// `waiter` through `finish`, exactly once.
    private func begin(
        id: RPCID, resultType: any (Decodable & Sendable).Type, fastResultType: (any RPCJSONReadable.Type)?,
        timeout: Duration?, idAssigned: ((RPCID) -> Void)?, answerTo waiter: Waiter,
        encode: () throws(RPCError) -> ByteBuffer
    ) {
        let othersUnderWay: Bool? = state.withLockedValue { state in
            guard !state.isClosed else { return nil }
            state.pending[id] = PendingCall(waiter: waiter, resultType: resultType, fastResultType: fastResultType)
            return state.pending.count > 1
        }
        guard let othersUnderWay else {
            waiter.resume(.failure(RPCError(.notSent, "connection closed before the request was sent")))
            return
        }
        idAssigned?(id)
        let frame: ByteBuffer
        do {
            frame = try encode()
        } catch {
            finish(id, .failure(error))
            return
        }
        let written = channel.eventLoop.makePromise(of: Void.self)
        write(frame, othersUnderWay: othersUnderWay, promise: written)
        // After the write, off the peer's path; `armTimeout` skips a call already finished.
        if let timeout = timeout ?? configuration.defaultCallTimeout {
            armTimeout(for: id, after: timeout)
        }
        written.futureResult.whenComplete { result in
            switch result {
            case .success:
                // Through the values' index, in place: the dictionary's keyed modify accessor
                // allocated a frame for the whole optional value on every request.
                self.state.withLockedValue { state in
                    guard let index = state.pending.index(forKey: id) else { return }
                    state.pending.values[index].written = true
                }
            case .failure(let error):
                self.finish(id, .failure(RPCError(.notSent, "request could not be written: \(error)")))
            }
        }
    }

    /// Sends a notification. Returns once it is handed to the socket.
    public func notify<N: RPCNotification>(_ notification: N.Type, _ params: N.Params) async throws {
        let frame = try encodeFrame(RequestEnvelope(id: nil, method: N.name, params: params), orThrow: .internalError)
        try await channel.writeAndFlush(frame)
    }

    /// Sends a notification without waiting; the future completes when it reached the socket
    /// (the gateway's stream relay grants flow-control credit then).
    @discardableResult
    public func notifyNow<N: RPCNotification>(_ notification: N.Type, _ params: N.Params) -> EventLoopFuture<Void> {
        do {
            let frame = try encodeFrame(RequestEnvelope(id: nil, method: N.name, params: params), orThrow: .internalError)
            return channel.writeAndFlush(frame)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
    }

    /// Encodes a message into a frame; a body over the frame maximum is refused before it is sent.
    private func encodeFrame(_ value: some Encodable, orThrow code: RPCError.Code) throws(RPCError) -> ByteBuffer {
        let frame: ByteBuffer
        do {
            frame = try RPCCoding.frame(value, allocator: channel.allocator)
        } catch {
            throw RPCError(code, "could not encode message: \(error)")
        }
        return try checkedFrame(frame, orThrow: code)
    }

    /// `frame` as it is, unless its body is over the frame maximum.
    private func checkedFrame(_ frame: ByteBuffer, orThrow code: RPCError.Code) throws(RPCError) -> ByteBuffer {
        let length = Frame.payloadLength(of: frame)
        guard length <= configuration.maximumFrameLength else {
            throw RPCError(
                code, "message of \(length) bytes exceeds the maximum frame of \(configuration.maximumFrameLength)", reason: "frame too large")
        }
        return frame
    }

    /// Gives up on a call locally and tells the peer, so it can stop the work.
    public func abandon(_ id: RPCID, _ error: RPCError) {
        guard finish(id, .failure(error)) else { return }
        notifyNow(CancelRequest.self, .init(id: id))
    }

    /// Completes a pending call exactly once; false if it was already completed.
    @discardableResult
    func finish(_ id: RPCID, _ result: Result<any Sendable, RPCError>) -> Bool {
        guard let call = state.withLockedValue({ $0.pending.removeValue(forKey: id) }) else { return false }
        call.waiter.resume(result)
        return true
    }
}

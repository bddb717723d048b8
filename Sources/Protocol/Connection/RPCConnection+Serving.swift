import Foundation
import NIOCore

/// The answering side of a connection: everything the peer sends, called by
/// `RPCChannelHandler` on the event loop.
extension RPCConnection {
    var decodingContext: RPCDecodingContext {
        RPCDecodingContext(
            methods: methods,
            pendingResult: { [weak self] id in
                self?.state.withLockedValue { $0.pending[id]?.resultType }.map { type in
                    { container in try container.decode(type, forKey: .result) }
                }
            })
    }

    func received(_ frame: InboundFrame) {
        switch frame {
        case .single(let message):
            switch message {
            case .request(let id, let method, let params, let entry):
                serve(id: id, method: method, params: params, entry: entry)
            case .invalid(let id, let error):
                send(Self.encodeError(id: id, error))
            default:
                handleOneWay(message)
            }
        case .batch(let messages):
            serveBatch(messages)
        }
    }

    /// Handles messages that need no answer: responses, notifications, cancellations.
    private func handleOneWay(_ message: InboundMessage) {
        switch message {
        case .response(let id, let result):
            finish(id, result)
        case .notification(let method, let params, let entry):
            entry.handle(params, RPCNotificationContext(connection: self, method: method))
        case .cancel(let id):
            cancelServed(id)
        case .ignored(let why):
            configuration.logger.debug("ignored inbound message", metadata: ["reason": "\(why)"])
        case .request, .invalid:
            preconditionFailure("requests are answered, not handled one-way")
        }
    }

    private func serve(id: RPCID, method: String, params: any Sendable, entry: RPCMethodTable.RequestEntry) {
        let token = state.withLockedValue { state -> UInt64 in
            let token = state.nextToken
            state.nextToken += 1
            state.served[id] = ServedRequest(token: token)
            return token
        }
        let context = RPCRequestContext(connection: self, id: id, method: method)
        configuration.onServing?(1)
        let served = ServedCall(context: context, token: token, entry: entry, params: params)
        let task = Task {
            self.answer(served, with: await self.run(served.entry, params: served.params, context: served.context))
        }
        register(task, for: served)
    }

    /// Records the task that serves a request; cancels it at once if `$/cancel` came first.
    private func register(_ task: Task<Void, Never>, for served: ServedCall) {
        let id = served.context.id
        let cancelNow = state.withLockedValue { state -> Bool in
            guard let index = state.served.index(forKey: id), state.served.values[index].token == served.token else { return false }
            state.served.values[index].task = task
            return state.served.values[index].cancelRequested
        }
        if cancelNow { task.cancel() }
    }

    /// Writes a request's answer and forgets the request.
    func answer(_ served: ServedCall, with response: ByteBuffer) {
        configuration.onServing?(-1)
        let id = served.context.id
        let (close, othersUnderWay) = state.withLockedValue { state in
            // Each dictionary and set hashes the id once at most (an empty set not at all).
            if let index = state.served.index(forKey: id), state.served.values[index].token == served.token {
                state.served.remove(at: index)
            }
            let close = !state.closeAfterAnswer.isEmpty && state.closeAfterAnswer.remove(id) != nil
            return (close, !state.served.isEmpty)
        }
        send(response, thenClose: close, othersUnderWay: othersUnderWay)
    }

    private func cancelServed(_ id: RPCID) {
        let task = state.withLockedValue { state -> Task<Void, Never>? in
            state.served[id]?.cancelRequested = true
            return state.served[id]?.task
        }
        task?.cancel()
    }

    /// Answers a batch with one array, in member order; members that need no answer are
    /// handled at once, and a batch of only those gets no answer at all (JSON-RPC 2.0 §6).
    private func serveBatch(_ messages: [InboundMessage]) {
        var answered: [InboundMessage] = []
        for message in messages {
            switch message {
            case .request, .invalid: answered.append(message)
            default: handleOneWay(message)
            }
        }
        guard !answered.isEmpty else { return }
        configuration.onServing?(1)
        let token = state.withLockedValue { state -> UInt64 in
            let token = state.nextToken
            state.nextToken += 1
            state.batches[token] = .some(nil)  // counted now; its task is recorded once made
            return token
        }
        let task = Task {
            defer {
                configuration.onServing?(-1)
                _ = self.state.withLockedValue { $0.batches.removeValue(forKey: token) }
            }
            let responses = await withTaskGroup(of: (Int, ByteBuffer).self) { group in
                for (index, message) in answered.enumerated() {
                    group.addTask {
                        switch message {
                        case .request(let id, let method, let params, let entry):
                            let context = RPCRequestContext(connection: self, id: id, method: method)
                            return (index, await self.run(entry, params: params, context: context))
                        case .invalid(let id, let error):
                            return (index, Self.encodeError(id: id, error))
                        default:
                            preconditionFailure("only requests and invalid members are answered")
                        }
                    }
                }
                var responses = [ByteBuffer](repeating: ByteBuffer(), count: answered.count)
                for await (index, frame) in group { responses[index] = frame }
                return responses
            }
            self.send(Self.joined(responses))
        }
        // Kept until it ends, so a closed connection cancels it as it does a single request.
        let cancelNow = state.withLockedValue { state -> Bool in
            if state.isClosed { return true }
            if state.batches.keys.contains(token) { state.batches[token] = task }  // unless it already ended
            return false
        }
        if cancelNow { task.cancel() }
    }

    /// Runs a handler and encodes its answer; an answer too large for a frame becomes an
    /// error answer with the same id, so the caller learns why.
    private func run(_ entry: RPCMethodTable.RequestEntry, params: any Sendable, context: RPCRequestContext) async -> ByteBuffer {
        do {
            return checked(try await entry.run(params, context), context: context)
        } catch {
            return Self.encodeError(id: context.id, RPCError.from(error))
        }
    }

    /// The answer, or an error answer in its place when it is too large for a frame.
    func checked(_ answer: ByteBuffer, context: RPCRequestContext) -> ByteBuffer {
        let length = Frame.payloadLength(of: answer)
        guard length <= configuration.maximumFrameLength else {
            configuration.logger.warning("answer exceeds the maximum frame length", metadata: ["method": "\(context.method)", "bytes": "\(length)"])
            return Self.encodeError(
                id: context.id,
                RPCError(
                    .internalError, "answer of \(length) bytes exceeds the maximum frame of \(configuration.maximumFrameLength)",
                    reason: "frame too large"))
        }
        return answer
    }

    /// An error answer as one frame.
    static func encodeError(id: RPCID?, _ error: RPCError) -> ByteBuffer {
        // An RPCError always encodes; the fallback only guards against a broken encoder.
        let json =
            (try? RPCCoding.encoder.encode(ErrorEnvelope(id: id ?? .null, error: error)))
            ?? Data(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"encoding failed"}}"#.utf8)
        return Frame.encode(json, allocator: ByteBufferAllocator())
    }

    /// A batch's answers (frames, in member order) as one frame holding their JSON array.
    static func joined(_ frames: [ByteBuffer]) -> ByteBuffer {
        var array = ByteBufferAllocator().buffer(capacity: frames.reduce(Frame.headerLength + 2) { $0 + $1.readableBytes })
        array.writeInteger(UInt32(0))
        array.writeInteger(UInt8(ascii: "["))
        for (index, frame) in frames.enumerated() {
            if index > 0 { array.writeInteger(UInt8(ascii: ",")) }
            array.writeBytes(frame.readableBytesView.dropFirst(Frame.headerLength))
        }
        array.writeInteger(UInt8(ascii: "]"))
        array.setInteger(UInt32(Frame.payloadLength(of: array)), at: array.readerIndex)
        return array
    }

    /// Writes one answer. Single answers were size-checked by `run`; only a batch's joined
    /// answers can still exceed the maximum, and then one short error (id null, as no single
    /// id fits) goes out instead. It is written as is: replacing it again would never end.
    func send(_ frame: ByteBuffer, thenClose: Bool = false, othersUnderWay: Bool = false) {
        var frame = frame
        let length = Frame.payloadLength(of: frame)
        if length > configuration.maximumFrameLength {
            configuration.logger.warning("batch answer exceeds the maximum frame length", metadata: ["bytes": "\(length)"])
            frame = Self.encodeError(
                id: nil, RPCError(.internalError, "batch answer of \(length) bytes exceeds the maximum frame", reason: "frame too large"))
        }
        guard thenClose else {
            write(frame, othersUnderWay: othersUnderWay, promise: nil)
            return
        }
        let written = channel.eventLoop.makePromise(of: Void.self)
        write(frame, othersUnderWay: othersUnderWay, promise: written)
        written.futureResult.whenComplete { [channel] _ in channel.close(promise: nil) }
    }

    func closeAfterAnswering(_ id: RPCID) {
        _ = state.withLockedValue { $0.closeAfterAnswer.insert(id) }
    }

    /// Fails every pending call and cancels every request being served.
    func channelClosed() {
        let (pending, served, batches, sweep) = state.withLockedValue { state in
            state.isClosed = true
            defer {
                state.pending = [:]
                state.served = [:]
                state.batches = [:]
                state.sweepAt = nil
                state.sweepTimer = nil
            }
            return (state.pending, state.served, state.batches, state.sweepTimer)
        }
        sweep?.cancel()
        for (_, call) in pending {
            call.waiter.resume(
                .failure(
                    call.written
                        ? RPCError(.connectionClosed, "connection closed while the call was in flight")
                        : RPCError(.notSent, "connection closed before the request was sent")))
        }
        for (_, request) in served { request.task?.cancel() }
        for case (_, let task?) in batches { task.cancel() }
    }
}

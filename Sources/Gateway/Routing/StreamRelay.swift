import NIOConcurrencyHelpers
import NIOCore
import ShoalProtocol

/// Carries one streamed invocation's chunks from a worker connection to the client that asked,
/// with flow control: the worker may have `window` bytes unacknowledged, and the gateway
/// acknowledges a chunk (`invoke.credit`) only once the client's socket took it. A client that
/// reads slowly therefore holds back its own stream, and only its own: the worker connection
/// keeps being read, so every other invocation on it flows on.
struct StreamRelay: Sendable {
    /// Hands one chunk (base64, as the worker sent it; the first with the stream's content
    /// type) to the client and calls `taken` once the client's socket took it: a JSON-RPC
    /// notification, an HTTP event-stream message, or a function URL's body.
    typealias Deliver = @Sendable (_ payload: String, _ contentType: String?, _ taken: @escaping @Sendable () -> Void) -> Void

    let deliver: Deliver
    let worker: RPCConnection
    let workerRequestID: RPCID

    /// The JSON-RPC client's way: `invoke.chunk` notifications for request `id`.
    static func notifications(to client: RPCConnection, for id: RPCID) -> Deliver {
        { payload, contentType, taken in
            client.notifyNow(WorkerAPI.InvokeChunk.self, .init(requestId: id, payload: payload, contentType: contentType)).whenSuccess { taken() }
        }
    }

    /// Called on the worker connection's event loop, in chunk order.
    func forward(_ chunk: WorkerAPI.InvokeChunk.Params) {
        // The worker encoded the chunk; credit what it holds.
        let bytes = Base64.decodedCount(chunk.payload) ?? 0
        deliver(chunk.payload, chunk.contentType) { [worker, workerRequestID] in
            worker.notifyNow(WorkerAPI.InvokeCredit.self, .init(requestId: workerRequestID, bytes: bytes))
        }
    }
}

/// The relays of the streams in flight, by worker connection and worker-side request id.
final class StreamRelays: Sendable {
    struct Key: Hashable {
        var connection: ObjectIdentifier
        var requestID: RPCID
    }

    private let relays = NIOLockedValueBox<[Key: StreamRelay]>([:])

    func open(_ relay: StreamRelay) -> Key {
        let key = Key(connection: ObjectIdentifier(relay.worker), requestID: relay.workerRequestID)
        relays.withLockedValue { $0[key] = relay }
        return key
    }

    func close(_ key: Key) {
        _ = relays.withLockedValue { $0.removeValue(forKey: key) }
    }

    /// The handler of `invoke.chunk` notifications arriving from workers.
    func chunkArrived(_ params: WorkerAPI.InvokeChunk.Params, from connection: RPCConnection) {
        let key = Key(connection: ObjectIdentifier(connection), requestID: params.requestId)
        relays.withLockedValue { $0[key] }?.forward(params)
    }
}

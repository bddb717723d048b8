import NIOCore
import Synchronization

/// One request being served: what answering it takes, whichever way it is served.
final class ServedCall: Sendable {
    let context: RPCRequestContext
    /// Tells this request from a later one that reuses its id.
    let token: UInt64
    let entry: RPCMethodTable.RequestEntry
    let params: any Sendable
    private let settled = Atomic<Bool>(false)

    init(context: RPCRequestContext, token: UInt64, entry: RPCMethodTable.RequestEntry, params: any Sendable) {
        self.context = context
        self.token = token
        self.entry = entry
        self.params = params
    }

    /// True the first time only: a request is answered (or handed to its task) once.
    func settle() -> Bool {
        !settled.exchange(true, ordering: .acquiringAndReleasing)
    }

    var isSettled: Bool { settled.load(ordering: .acquiring) }
}

/// The answer to a request that an on-loop handler took (`RPCMethodTable.register(_:onLoop:_:)`).
///
/// Exactly one of `succeed`, `fail` and `fallBack` must be called, from any thread; later
/// calls are ignored. The request counts as being served until then: `$/cancel` and a closed
/// connection reach what `onCancel` registered.
public struct RPCReply<Result: Encodable & Sendable>: Sendable {
    let served: ServedCall

    /// The request being answered: its id and connection.
    public var context: RPCRequestContext { served.context }

    /// Answers with `result`, as the method's async handler returning it would.
    public func succeed(_ result: Result) {
        guard served.settle() else { return }
        let connection = served.context.connection
        let answer: ByteBuffer
        do {
            answer = connection.checked(try RPCCoding.frame(ResultEnvelope(id: served.context.id, result: result)), context: served.context)
        } catch {
            answer = RPCConnection.encodeError(id: served.context.id, RPCError.from(error))
        }
        connection.answer(served, with: answer)
    }

    /// Answers with `result` written by hand, where its type is known to write itself: this
    /// overload is chosen then, and answers without the generic way's envelope value,
    /// conformance lookup and casts (each a lookup in the Swift runtime, on every answer).
    public func succeed(_ result: Result) where Result: RPCJSONWritable {
        guard served.settle() else { return }
        let connection = served.context.connection
        var writer = JSONWriter.resultResponse(id: served.context.id, capacityHint: result.jsonCapacityHint) { result.writeJSON(to: &$0) }
        connection.answer(served, with: connection.checked(writer.frame(), context: served.context))
    }

    /// Answers with an error, as the method's async handler throwing it would.
    public func fail(_ error: any Error) {
        guard served.settle() else { return }
        served.context.connection.answer(served, with: RPCConnection.encodeError(id: served.context.id, RPCError.from(error)))
    }

    /// Serves the request the general way after all: its async handler runs in a task, from
    /// the start, with the same params.
    public func fallBack() {
        guard served.settle() else { return }
        served.context.connection.runInTask(served)
    }

    /// What stops the work when the caller sends `$/cancel` or the connection closes; it
    /// should end in `fail` or `succeed`. Runs at once if the cancel came first; ignored
    /// once the reply is given or handed to the task (whose cancellation then applies).
    public func onCancel(_ body: @escaping @Sendable () -> Void) {
        served.context.connection.register(.callback(body), for: served)
    }
}

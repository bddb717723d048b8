import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import ShoalProtocol

extension RESTFacade {
    /// What a streamed invocation yields to the HTTP response: chunks (with what acknowledges
    /// each to the worker once the client's socket took it; the first with the stream's
    /// content type), then the outcome.
    enum StreamEvent: Sendable {
        /// The version that runs, first of all.
        case routed(version: String)
        case chunk([UInt8], contentType: String?, taken: @Sendable () -> Void)
        case done(Result<ClientAPI.InvokeStream.Result, any Error>)
    }

    /// InvokeWithResponseStream: 200 with an `application/vnd.amazon.eventstream` body of
    /// PayloadChunk messages as the function writes them, then InvokeComplete. An error before
    /// the first chunk (unknown function, throttled, bad payload) is an ordinary JSON error.
    /// Each chunk is acknowledged to the worker only once the client's socket took it, so a
    /// client that stops reading holds back this stream at the gateway within the worker's
    /// window.
    func invokeStream(_ request: Request, _ context: RESTRequestContext) async throws -> Response {
        let (reference, _) = try functionReference(request, context)
        let type = request.headers[.amzInvocationType] ?? "RequestResponse"
        guard type != "Event" else {
            throw RESTError.validation(type, member: "invocationType", constraint: "Member must satisfy enum value set: [RequestResponse, DryRun]")
        }
        let payload = try await invokeBody(request, type: type)
        let params = ClientAPI.InvokeParams(
            functionName: reference, payload: Base64.encode(payload), invocationType: type, logType: request.headers[.amzLogType],
            clientContext: request.headers[.amzClientContext])
        let (reader, invocation) = startStream(params)
        var executedVersion = "$LATEST"
        var opening = await reader.next()
        if case .routed(let version) = opening {
            executedVersion = version
            opening = await reader.next()
        }
        guard let first = opening else { throw CancellationError() }
        if case .done(let outcome) = first {
            let result = try outcome.get()
            if result.statusCode == 204 { return .empty(204) }
        }
        var headers: HTTPFields = [.contentType: "application/vnd.amazon.eventstream"]
        headers[.amzExecutedVersion] = executedVersion
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                var event: StreamEvent? = first
                do {
                    while let current = event {
                        switch current {
                        case .chunk(let bytes, _, let taken):
                            try await writer.write(EventStreamMessage.payloadChunk(bytes).bytes)
                            taken()
                        case .done(.success(let result)):
                            try await writer.write(EventStreamMessage.invokeComplete(json: Self.completion(result)).bytes)
                        case .done(.failure(let error)):
                            let failure = RESTError(any: error)
                            try await writer.write(EventStreamMessage.error(code: failure.type, message: failure.message).bytes)
                        case .routed:
                            break
                        }
                        event = await reader.next()
                    }
                } catch {
                    // The client went away: stop the invocation, which tells the worker to.
                    invocation.cancel()
                    throw error
                }
                try await writer.finish(nil)
            })
    }

    /// Starts a streamed invocation whose events one reader takes in order; cancelling the
    /// task stops the invocation (the worker then recycles the instance).
    func startStream(_ params: ClientAPI.InvokeParams) -> (StreamReader, Task<Void, Never>) {
        let (events, sink) = AsyncStream.makeStream(of: StreamEvent.self)
        let invocation = Task { [service] in
            do {
                let routed: @Sendable (String) -> Void = { sink.yield(.routed(version: $0)) }
                let result = try await service.invokeStream(params, routed: routed) { chunk, contentType, taken in
                    sink.yield(.chunk(Base64.decode(chunk) ?? [], contentType: contentType, taken: taken))
                }
                sink.yield(.done(.success(result)))
            } catch {
                sink.yield(.done(.failure(error)))
            }
            sink.finish()
        }
        return (StreamReader(events), invocation)
    }

    /// InvokeComplete's payload: `{}` on success; the error and the log tail otherwise.
    static func completion(_ result: ClientAPI.InvokeStream.Result) -> [UInt8] {
        var object: [String: String] = [:]
        if let error = result.functionError {
            object["ErrorCode"] = error
            object["ErrorDetails"] = result.errorDetails ?? ""
        }
        if let log = result.logResult { object["LogResult"] = log }
        return serialize(object)
    }

    /// One reader of the events, first in the handler, then in the response body's writer
    /// (an `AsyncStream` takes one iterator; this carries it across, used by one task at a time).
    final class StreamReader: @unchecked Sendable {
        private var iterator: AsyncStream<StreamEvent>.Iterator

        init(_ events: AsyncStream<StreamEvent>) { iterator = events.makeAsyncIterator() }

        func next() async -> StreamEvent? { await iterator.next() }
    }
}

import Foundation
import Hummingbird
import NIOCore
import ShoalProtocol

extension RESTFacade {
    /// Invoke: the payload is the raw body; the invocation type, log type and client context
    /// come in `X-Amz-*` headers, and the result goes back raw with AWS's headers.
    func invoke(_ request: Request, _ context: RESTRequestContext) async throws -> Response {
        let (reference, _) = try functionReference(request, context)
        let type = request.headers[.amzInvocationType] ?? "RequestResponse"
        let payload = try await invokeBody(request, type: type)
        let result = try await service.invoke(
            ClientAPI.InvokeParams(
                functionName: reference, payload: Base64.encode(payload), invocationType: type,
                logType: request.headers[.amzLogType], clientContext: request.headers[.amzClientContext]))
        guard result.statusCode == 200 else { return .empty(result.statusCode) }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let version = result.executedVersion { headers[.amzExecutedVersion] = version }
        if let error = result.functionError { headers[.amzFunctionError] = error }
        if let log = result.logResult { headers[.amzLogResult] = log }
        let bytes = Base64.decode(result.payload) ?? []
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// InvokeAsync (deprecated by AWS, still in the SDKs): an Event invoke answered 202.
    func invokeAsync(_ request: Request, _ context: RESTRequestContext) async throws -> Response {
        let (reference, _) = try functionReference(request, context)
        let payload = try await invokeBody(request, type: "Event")
        _ = try await service.invoke(ClientAPI.InvokeParams(functionName: reference, payload: Base64.encode(payload), invocationType: "Event"))
        return .json(Array(#"{"Status":202}"#.utf8), status: 202)
    }

    /// The payload, refused with AWS's 413 past the limit of its invocation type before
    /// anything runs (and before more than the synchronous limit is read).
    func invokeBody(_ request: Request, type: String) async throws -> [UInt8] {
        let limit = GatewayService.maximumSyncPayload
        let payload: [UInt8]
        do {
            payload = Array(buffer: try await request.body.collect(upTo: limit))
        } catch is NIOTooManyBytesError {
            throw RESTError(
                "RequestEntityTooLargeException", status: 413, "Request must be smaller than \(limit) bytes for the InvokeFunction operation")
        }
        if type == "Event", payload.count > GatewayService.maximumEventPayload {
            throw RESTError(
                "RequestEntityTooLargeException", status: 413,
                "\(payload.count) byte payload is too large for the Event invocation type (limit \(GatewayService.maximumEventPayload) bytes)")
        }
        return payload
    }
}

import Foundation
import Hummingbird
import NIOCore
import ShoalProtocol

extension RESTFacade {
    /// Invoke: the payload is the raw body; the invocation type, log type and client context
    /// come in `X-Amz-*` headers, and the result goes back raw with AWS's headers.
    func invoke(_ request: Request, _ context: RESTRequestContext) async throws -> Response {
        let type = request.headers[.amzInvocationType] ?? "RequestResponse"
        let payload = try await invokeBody(request, type: type)
        let answer = try await invokeAnswer(
            label: try Self.label(context, "name"), qualifier: request.uri.queryParameters["Qualifier"].map(String.init),
            headers: request.headers, payload: payload)
        return Response(status: answer.status, headers: answer.headers, body: .init(byteBuffer: answer.body))
    }

    /// What an Invoke answers, from what its request carried: the route above and
    /// `RESTInvokeHandler` (the same call served ahead of Hummingbird) both answer with it.
    struct InvokeAnswer: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
    }

    func invokeAnswer(label: String, qualifier: String?, headers: HTTPFields, payload: [UInt8]) async throws -> InvokeAnswer {
        let region = RESTFunctionReference.region(authorization: headers[.authorization]) ?? defaultRegion
        let reference = try RESTFunctionReference.resolve(label, qualifier: qualifier, region: region)
        let type = headers[.amzInvocationType] ?? "RequestResponse"
        try Self.checkSize(payload.count, type: type)
        let result = try await service.invoke(
            ClientAPI.InvokeParams(
                functionName: reference, payload: Base64.encode(payload), invocationType: type,
                logType: headers[.amzLogType], clientContext: headers[.amzClientContext]))
        guard result.statusCode == 200 else { return InvokeAnswer(status: .init(code: result.statusCode), headers: [:], body: ByteBuffer()) }
        var answerHeaders: HTTPFields = [.contentType: "application/json"]
        if let version = result.executedVersion { answerHeaders[.amzExecutedVersion] = version }
        if let error = result.functionError { answerHeaders[.amzFunctionError] = error }
        if let log = result.logResult { answerHeaders[.amzLogResult] = log }
        return InvokeAnswer(status: .ok, headers: answerHeaders, body: ByteBuffer(bytes: Base64.decode(result.payload) ?? []))
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
        let payload: [UInt8]
        do {
            payload = Array(buffer: try await request.body.collect(upTo: GatewayService.maximumSyncPayload))
        } catch is NIOTooManyBytesError {
            throw RESTError.syncPayloadTooLarge
        }
        try Self.checkSize(payload.count, type: type)
        return payload
    }

    /// An Event payload over AWS's 1 MiB is 413 before anything runs.
    static func checkSize(_ count: Int, type: String) throws {
        if type == "Event", count > GatewayService.maximumEventPayload {
            throw RESTError(
                "RequestEntityTooLargeException", status: 413,
                "\(count) byte payload is too large for the Event invocation type (limit \(GatewayService.maximumEventPayload) bytes)")
        }
    }
}

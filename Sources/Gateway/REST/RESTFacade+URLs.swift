import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ShoalProtocol

extension RESTFacade {
    /// Function URL configs, and the URLs themselves: `/_shoal/url/<url-id>/...` on this port
    /// (`FunctionURLMiddleware` serves `<url-id>.lambda-url.<region>.localhost` by Host).
    func addURLRoutes(to router: Router<RESTRequestContext>) {
        router.post("/2021-10-31/functions/:name/url") { request, context in
            let (function, qualifier, region) = try urlTarget(request, context)
            let body = try AWSJSONKeys.decode(URLBody.self, from: try await body(request, context))
            guard let authType = body.authType else {
                throw RESTError.validation("null", member: "authType", constraint: "Member must not be null")
            }
            try Self.checkURL(authType: authType, invokeMode: body.invokeMode)
            let (config, name) = try await registry.createURL(
                function, qualifier: qualifier, authType: authType, invokeMode: body.invokeMode ?? "BUFFERED", cors: body.corsText)
            return Response.json(Self.serialize(urlDocument(config, function: name, region: region, request: request, modified: false)), status: 201)
        }
        router.get("/2021-10-31/functions/:name/url") { request, context in
            let (function, qualifier, region) = try urlTarget(request, context)
            let record = try registry.function(function)
            guard let config = record.urls?.first(where: { $0.qualifier == qualifier }) else {
                throw RESTError("ResourceNotFoundException", status: 404, "The resource you requested does not exist.")
            }
            return Response.json(Self.serialize(urlDocument(config, function: record.name, region: region, request: request, modified: true)))
        }
        router.put("/2021-10-31/functions/:name/url") { request, context in
            let (function, qualifier, region) = try urlTarget(request, context)
            let body = try AWSJSONKeys.decode(URLBody.self, from: try await body(request, context))
            try Self.checkURL(authType: body.authType ?? "NONE", invokeMode: body.invokeMode)
            let (config, name) = try await registry.updateURL(
                function, qualifier: qualifier, authType: body.authType, invokeMode: body.invokeMode, cors: body.corsText)
            return Response.json(Self.serialize(urlDocument(config, function: name, region: region, request: request, modified: true)))
        }
        router.delete("/2021-10-31/functions/:name/url") { request, context in
            let (function, qualifier, _) = try urlTarget(request, context)
            try await registry.deleteURL(function, qualifier: qualifier)
            return Response.empty(204)
        }
        router.get("/2021-10-31/functions/:name/urls") { request, context in
            let (function, _, region) = try urlTarget(request, context)
            let record = try registry.function(function)
            let configs = (record.urls ?? []).map { urlDocument($0, function: record.name, region: region, request: request, modified: true) }
            return Response.json(Self.serialize(["FunctionUrlConfigs": configs]))
        }
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch, .head, .options] {
            router.on("/_shoal/url/:id", method: method) { request, context in
                try await serveURL(try Self.label(context, "id"), path: "/", request: request, context: context)
            }
            router.on("/_shoal/url/:id/**", method: method) { request, context in
                let id = try Self.label(context, "id")
                let prefix = "/_shoal/url/\(id)"
                return try await serveURL(id, path: String(request.uri.path.dropFirst(prefix.count)), request: request, context: context)
            }
        }
    }

    /// The URL config's body members.
    private struct URLBody: Decodable {
        var authType: String?
        var invokeMode: String?
        var cors: [String: AnyCodable]?

        var corsText: String? {
            cors.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        }
    }

    private static func checkURL(authType: String, invokeMode: String?) throws {
        guard ["NONE", "AWS_IAM"].contains(authType) else {
            throw RESTError.validation(authType, member: "authType", constraint: "Member must satisfy enum value set: [NONE, AWS_IAM]")
        }
        if let invokeMode, !["BUFFERED", "RESPONSE_STREAM"].contains(invokeMode) {
            throw RESTError.validation(
                invokeMode, member: "invokeMode", constraint: "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]")
        }
    }

    /// The function and the alias a URL config operation names (never a version or $LATEST).
    private func urlTarget(_ request: Request, _ context: RESTRequestContext) throws -> (String, String?, String) {
        let (reference, region) = try functionReference(request, context)
        let (name, qualifier) = ARNs.functionReference(reference)
        return (name, qualifier, region)
    }

    private func urlDocument(
        _ config: FunctionRecord.URLConfig, function: String, region: String, request: Request, modified: Bool
    ) -> [String: Any] {
        let port = (request.head.authority ?? "").split(separator: ":").last.flatMap { Int($0) }.map { ":\($0)" } ?? ""
        var document: [String: Any] = [
            "FunctionUrl": "http://\(config.urlID).lambda-url.\(region).localhost\(port)/",
            "FunctionArn": ARNs(region: region, account: registry.arns.account).function(function) + (config.qualifier.map { ":" + $0 } ?? ""),
            "AuthType": config.authType, "CreationTime": config.creationTime, "InvokeMode": config.invokeMode,
        ]
        if modified { document["LastModifiedTime"] = config.lastModifiedTime }
        if let cors = config.cors, let object = try? JSONSerialization.jsonObject(with: Data(cors.utf8)) {
            document["Cors"] = AWSJSONKeys.pascalCased(object)
        }
        return document
    }

    /// Invokes the function a URL names with a payload-format-2.0 event, and maps its result
    /// to the HTTP answer; an unknown id is AWS's 403, a function error 502.
    func serveURL(_ urlID: String, path: String, request: Request, context: RESTRequestContext) async throws -> Response {
        guard let (function, config) = registry.urlTarget(urlID) else {
            return Response(
                status: .forbidden, headers: [.contentType: "application/json", .amznErrorType: "AccessDeniedException"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"Message":null}"#)))
        }
        let cors = FunctionURLMapping.CORS(json: config.cors)
        let origin = request.headers[.origin]
        if request.method == .options, let origin, request.headers[values: HTTPField.Name("Access-Control-Request-Method")!].first != nil {
            guard let allowed = cors?.preflight(origin: origin) else { return Response(status: .forbidden) }
            var fields = HTTPFields()
            for (name, value) in allowed { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
            return Response(status: .ok, headers: fields)
        }
        let uri = request.uri
        let body = Array(buffer: try await request.body.collect(upTo: GatewayService.maximumSyncPayload))
        let headers = request.headers.map { ($0.name.canonicalName, $0.value) }
        let requestID = RequestID.next()
        let event = FunctionURLMapping.event(
            .init(
                method: request.method.rawValue, path: path.isEmpty ? "/" : path, query: uri.query, headers: headers, body: body,
                urlID: urlID, domain: request.head.authority ?? "", sourceIP: "127.0.0.1", now: Date()),
            requestID: requestID)
        let params = ClientAPI.InvokeParams(
            functionName: config.qualifier.map { "\(function):\($0)" } ?? function, payload: Base64.encode(Self.serialize(event)))
        var fields = HTTPFields()
        if let cors, let origin {
            for (name, value) in cors.answerHeaders(origin: origin) { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        }
        fields[.amznRequestID] = requestID
        if config.invokeMode == "RESPONSE_STREAM" { return try await streamURL(params, fields: fields) }
        let result = try await service.invoke(params)
        guard result.functionError == nil else { return Self.urlFunctionError }
        let mapped = FunctionURLMapping.response(fromResult: Base64.decode(result.payload) ?? [])
        Self.append(mapped.headers, to: &fields)
        return Response(status: .init(code: mapped.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: mapped.body)))
    }

    /// What a URL answers when its function fails before answering: AWS's 502.
    private static var urlFunctionError: Response {
        Response(
            status: .badGateway, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"Message":"Internal Server Error"}"#)))
    }

    private static func append(_ headers: [(String, String)], to fields: inout HTTPFields) {
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
    }

    /// A RESPONSE_STREAM URL: the body goes to the client as the function writes it, behind
    /// the status and headers of its `HttpResponseStream` prelude when it wrote one. A failure
    /// before the head is AWS's 502; after it, the body just ends.
    private func streamURL(_ params: ClientAPI.InvokeParams, fields: HTTPFields) async throws -> Response {
        let (reader, invocation) = startStream(params)
        var opening: [UInt8] = []
        var contentType: String?
        var head: (FunctionURLMapping.Response, body: [UInt8])?
        var finished = false
        while head == nil {
            switch await reader.next() {
            case .chunk(let bytes, let type, let taken)?:
                if opening.isEmpty, contentType == nil { contentType = type }
                opening += bytes
                taken()
                // A prelude that never ends within the sync payload limit is body, not head.
                let ended = opening.count > GatewayService.maximumSyncPayload
                head = FunctionURLMapping.StreamedHead.split(opening, contentType: contentType, ended: ended)
            case .done(let outcome)?:
                let result = try outcome.get()
                guard result.functionError == nil else { return Self.urlFunctionError }
                finished = true
                head = FunctionURLMapping.StreamedHead.split(opening, contentType: contentType, ended: true)
            case .routed?:
                continue
            case nil:
                throw CancellationError()
            }
        }
        guard let (mapped, body) = head else { throw CancellationError() }
        var fields = fields
        Self.append(mapped.headers, to: &fields)
        return Response(
            status: .init(code: mapped.status), headers: fields,
            body: ResponseBody { [finished] writer in
                do {
                    if !body.isEmpty { try await writer.write(ByteBuffer(bytes: body)) }
                    while !finished, let event = await reader.next() {
                        guard case .chunk(let bytes, _, let taken) = event else { break }
                        try await writer.write(ByteBuffer(bytes: bytes))
                        taken()
                    }
                } catch {
                    // The client went away: stop the invocation, which tells the worker to.
                    invocation.cancel()
                    throw error
                }
                try await writer.finish(nil)
            })
    }
}

/// A JSON value as it came (the URL config's `Cors`, stored and echoed as given).
struct AnyCodable: Codable, Sendable {
    let value: JSONValue

    indirect enum JSONValue: Sendable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case array([AnyCodable])
        case object([String: AnyCodable])
        case null
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = .null
        } else if let bool = try? container.decode(Bool.self) {
            value = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            value = .number(number)
        } else if let string = try? container.decode(String.self) {
            value = .string(string)
        } else if let array = try? container.decode([AnyCodable].self) {
            value = .array(array)
        } else {
            value = .object(try container.decode([String: AnyCodable].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch value {
        case .null: try container.encodeNil()
        case .bool(let bool): try container.encode(bool)
        case .number(let number): try container.encode(number)
        case .string(let string): try container.encode(string)
        case .array(let array): try container.encode(array)
        case .object(let object): try container.encode(object)
        }
    }
}

/// Serves function URLs by Host header: a request to `<url-id>.lambda-url.<region>.<anything>`
/// is the URL's, whatever its method and path.
struct FunctionURLMiddleware: RouterMiddleware {
    typealias Context = RESTRequestContext
    let facade: RESTFacade

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let urlID = Self.urlID(host: request.head.authority) else { return try await next(request, context) }
        return try await facade.serveURL(urlID, path: request.uri.path, request: request, context: context)
    }

    /// The url-id of a function URL's host, or nil for any other host.
    static func urlID(host: String?) -> String? {
        guard let host, let marker = host.range(of: ".lambda-url.") else { return nil }
        let id = host[..<marker.lowerBound]
        return id.isEmpty || id.contains(".") ? nil : String(id)
    }
}

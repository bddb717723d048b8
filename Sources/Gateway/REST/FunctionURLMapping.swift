import Foundation
import ShoalProtocol

/// A function URL's invocation as pure values: the API Gateway payload-format-2.0 event a
/// request becomes, and the HTTP response a function's result becomes (AWS's rules).
enum FunctionURLMapping {
    /// What an HTTP request carried, as the event needs it.
    struct Request {
        var method: String
        var path: String
        var query: String?
        /// Header names lowercased; repeated headers in order.
        var headers: [(String, String)]
        var body: [UInt8]
        var urlID: String
        var domain: String
        var sourceIP: String
        var now: Date
    }

    /// The payload-format-2.0 event: repeated headers joined by ",", cookies split out, the
    /// query parsed, the body base64 unless its content type is text.
    static func event(_ request: Request, requestID: String) -> [String: Any] {
        var headers: [String: String] = [:]
        var cookies: [String] = []
        for (name, value) in request.headers {
            if name == "cookie" {
                cookies += value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                continue
            }
            headers[name] = headers[name].map { "\($0),\(value)" } ?? value
        }
        var event: [String: Any] = [
            "version": "2.0", "routeKey": "$default", "rawPath": request.path, "rawQueryString": request.query ?? "",
            "headers": headers, "isBase64Encoded": false,
        ]
        if !cookies.isEmpty { event["cookies"] = cookies }
        var parameters: [String: String] = [:]
        for pair in (request.query ?? "").split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[1])) : ""
            parameters[name] = parameters[name].map { "\($0),\(value)" } ?? value
        }
        if !parameters.isEmpty { event["queryStringParameters"] = parameters }
        if !request.body.isEmpty {
            if isText(headers["content-type"]) {
                event["body"] = String(decoding: request.body, as: UTF8.self)
            } else {
                event["body"] = Data(request.body).base64EncodedString()
                event["isBase64Encoded"] = true
            }
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd/MMM/yyyy:HH:mm:ss Z"
        event["requestContext"] = [
            "accountId": "anonymous", "apiId": request.urlID, "domainName": request.domain,
            "domainPrefix": request.urlID, "requestId": requestID, "routeKey": "$default", "stage": "$default",
            "time": formatter.string(from: request.now), "timeEpoch": Int(request.now.timeIntervalSince1970 * 1000),
            "http": [
                "method": request.method, "path": request.path, "protocol": "HTTP/1.1", "sourceIp": request.sourceIP,
                "userAgent": headers["user-agent"] ?? "",
            ],
        ]
        return event
    }

    /// Text bodies go to the function as they are; any other is base64.
    static func isText(_ contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        return type.hasPrefix("text/") || type.contains("json") || type.contains("xml") || type.contains("x-www-form-urlencoded")
            || type.contains("javascript")
    }

    /// The HTTP answer: a JSON object with `statusCode` sets status, headers, cookies and body
    /// (decoded when `isBase64Encoded`); any other result is 200 JSON (a string without quotes).
    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
    }

    static func response(fromResult payload: [UInt8]) -> Response {
        let json = try? JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed])
        if let object = json as? [String: Any], let status = object["statusCode"] as? Int {
            var headers: [(String, String)] = []
            for (name, value) in (object["headers"] as? [String: Any]) ?? [:] { headers.append((name, "\(value)")) }
            for cookie in (object["cookies"] as? [String]) ?? [] { headers.append(("Set-Cookie", cookie)) }
            var body: [UInt8] = []
            if let text = object["body"] as? String {
                body = (object["isBase64Encoded"] as? Bool) == true ? Array(Data(base64Encoded: text) ?? Data()) : Array(text.utf8)
            }
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { headers.append(("Content-Type", "application/json")) }
            return Response(status: status, headers: headers, body: body)
        }
        if let text = json as? String { return Response(status: 200, headers: [("Content-Type", "application/json")], body: Array(text.utf8)) }
        return Response(status: 200, headers: [("Content-Type", "application/json")], body: payload)
    }

    /// A streamed answer's head: with the content type `awslambda.HttpResponseStream` sets,
    /// the stream opens with a JSON prelude (`statusCode`, `headers`, `cookies`) and eight NUL
    /// bytes; any other stream is a 200 body of its own content type.
    enum StreamedHead {
        static let preludeContentType = "application/vnd.awslambda.http-integration-response"
        static let delimiter = [UInt8](repeating: 0, count: 8)

        /// The head, and the body bytes after it, from the stream's first bytes; nil while a
        /// prelude's delimiter has not arrived yet (`ended`: no more bytes will come).
        static func split(_ bytes: [UInt8], contentType: String?, ended: Bool) -> (Response, body: [UInt8])? {
            guard contentType == preludeContentType else {
                return (Response(status: 200, headers: [("Content-Type", contentType ?? "application/octet-stream")], body: []), bytes)
            }
            guard let end = range(of: delimiter, in: bytes) else {
                guard ended else { return nil }
                return (Response(status: 200, headers: [("Content-Type", "application/octet-stream")], body: []), bytes)
            }
            let prelude = (try? JSONSerialization.jsonObject(with: Data(bytes[..<end]))) as? [String: Any] ?? [:]
            var headers: [(String, String)] = []
            for (name, value) in (prelude["headers"] as? [String: Any]) ?? [:] { headers.append((name, "\(value)")) }
            for cookie in (prelude["cookies"] as? [String]) ?? [] { headers.append(("Set-Cookie", cookie)) }
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { headers.append(("Content-Type", "application/octet-stream")) }
            let status = prelude["statusCode"] as? Int ?? 200
            return (Response(status: status, headers: headers, body: []), Array(bytes[(end + delimiter.count)...]))
        }

        private static func range(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
            guard haystack.count >= needle.count else { return nil }
            return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
        }
    }

    /// A URL's CORS settings (its `Cors` member), as AWS applies them: a preflight
    /// (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered here without
    /// invoking the function, and other answers to an allowed origin carry its headers.
    struct CORS: Hashable {
        var allowOrigins: [String] = []
        var allowMethods: [String] = []
        var allowHeaders: [String] = []
        var exposeHeaders: [String] = []
        var maxAge: Int?
        var allowCredentials = false

        /// From the stored `Cors` JSON (camelCase members, as stored); nil when there is none.
        init?(json: String?) {
            guard let json, let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else { return nil }
            allowOrigins = object["allowOrigins"] as? [String] ?? []
            allowMethods = object["allowMethods"] as? [String] ?? []
            allowHeaders = object["allowHeaders"] as? [String] ?? []
            exposeHeaders = object["exposeHeaders"] as? [String] ?? []
            maxAge = object["maxAge"] as? Int
            allowCredentials = object["allowCredentials"] as? Bool ?? false
        }

        func allows(origin: String) -> Bool { allowOrigins.contains("*") || allowOrigins.contains(origin) }

        /// The preflight's answer headers, or nil when the origin is not allowed.
        func preflight(origin: String) -> [(String, String)]? {
            guard allows(origin: origin) else { return nil }
            var headers = [("Access-Control-Allow-Origin", allowOrigins.contains("*") ? "*" : origin)]
            if !allowMethods.isEmpty { headers.append(("Access-Control-Allow-Methods", allowMethods.joined(separator: ","))) }
            if !allowHeaders.isEmpty { headers.append(("Access-Control-Allow-Headers", allowHeaders.joined(separator: ","))) }
            if let maxAge { headers.append(("Access-Control-Max-Age", String(maxAge))) }
            if allowCredentials { headers.append(("Access-Control-Allow-Credentials", "true")) }
            return headers
        }

        /// What an ordinary answer to `origin` carries.
        func answerHeaders(origin: String) -> [(String, String)] {
            guard allows(origin: origin) else { return [] }
            var headers = [("Access-Control-Allow-Origin", allowOrigins.contains("*") ? "*" : origin)]
            if !exposeHeaders.isEmpty { headers.append(("Access-Control-Expose-Headers", exposeHeaders.joined(separator: ","))) }
            if allowCredentials { headers.append(("Access-Control-Allow-Credentials", "true")) }
            return headers
        }
    }
}

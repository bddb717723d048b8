import Foundation
import Testing

@testable import ShoalGateway

/// A function URL's request as a payload-format-2.0 event, and a result as an HTTP answer.
struct FunctionURLMappingTests {
    @Test func aRequestBecomesAPayloadFormatTwoEvent() throws {
        let request = FunctionURLMapping.Request(
            method: "POST", path: "/p", query: "a=1&a=2&b=x%20y",
            headers: [("cookie", "c=1; d=2"), ("x-h", "1"), ("x-h", "2"), ("content-type", "image/png")],
            body: [0, 255], urlID: "id", domain: "id.lambda-url.us-east-1.localhost", sourceIP: "127.0.0.1", now: Date(timeIntervalSince1970: 0))
        let event = FunctionURLMapping.event(request, requestID: "r")
        #expect(event["version"] as? String == "2.0" && event["rawPath"] as? String == "/p")
        #expect(event["cookies"] as? [String] == ["c=1", "d=2"])
        #expect((event["headers"] as? [String: String])?["x-h"] == "1,2")
        #expect(event["queryStringParameters"] as? [String: String] == ["a": "1,2", "b": "x y"])
        #expect(event["body"] as? String == "AP8=" && event["isBase64Encoded"] as? Bool == true)
    }

    @Test func resultsBecomeHTTPAnswersAsAWSMapsThem() {
        let shaped = FunctionURLMapping.response(
            fromResult: Array(#"{"statusCode": 418, "headers": {"X-A": "b"}, "cookies": ["k=v"], "body": "aGk=", "isBase64Encoded": true}"#.utf8))
        #expect(shaped.status == 418 && shaped.body == Array("hi".utf8))
        #expect(shaped.headers.contains { $0 == ("Set-Cookie", "k=v") } && shaped.headers.contains { $0 == ("X-A", "b") })
        #expect(FunctionURLMapping.response(fromResult: Array(#""text""#.utf8)).body == Array("text".utf8))
        let object = FunctionURLMapping.response(fromResult: Array(#"{"a": 1}"#.utf8))
        #expect(object.status == 200 && object.body == Array(#"{"a": 1}"#.utf8))
    }

    @Test func aStreamedAnswersHeadComesFromItsPreludeOnceTheDelimiterArrives() throws {
        typealias Head = FunctionURLMapping.StreamedHead
        let prelude = Array(#"{"statusCode": 207, "headers": {"X-S": "1"}, "cookies": ["c=1"]}"#.utf8)
        #expect(Head.split(prelude, contentType: Head.preludeContentType, ended: false) == nil, "the delimiter has not come yet")
        let (head, body) = try #require(Head.split(prelude + Head.delimiter + Array("bo".utf8), contentType: Head.preludeContentType, ended: false))
        #expect(head.status == 207 && body == Array("bo".utf8))
        #expect(head.headers.contains { $0 == ("X-S", "1") } && head.headers.contains { $0 == ("Set-Cookie", "c=1") })
        #expect(head.headers.contains { $0 == ("Content-Type", "application/octet-stream") })

        // Any other stream is a 200 of its own content type, its bytes all body.
        let (plain, plainBody) = try #require(Head.split(Array("{x".utf8), contentType: "text/plain", ended: false))
        #expect(plain.status == 200 && plain.headers.map(\.1) == ["text/plain"] && plainBody == Array("{x".utf8))
        // A prelude that never ends is body.
        let (unended, rest) = try #require(Head.split(prelude, contentType: Head.preludeContentType, ended: true))
        #expect(unended.status == 200 && rest == prelude)
    }
}

import Foundation
import ShoalProtocol
import Testing

@testable import ShoalLambda

@Suite struct ClientContextHeaderTests {
    private func base64(_ text: String) -> String { Base64.encode(Array(text.utf8)) }

    @Test func givesOneLineOfASCIIThatParsesToTheSameObject() throws {
        let sent = "{\r\n  \"custom\": {\"caf\u{e9}\": \"\u{1F600} tab\\t \\\"q\\\"\"},\n\t\"env\": {\"a\": [1, 2.5, null]}\n}"
        let value = try #require(ClientContextHeader.value(base64: base64(sent)))
        #expect(value.utf8.allSatisfy { $0 == 0x09 || (0x20..<0x7F).contains($0) }, "\(value)")
        #expect(value.contains("caf\\u00e9"))
        #expect(value.contains("\\ud83d\\ude00"))
        let parsed = try JSONSerialization.jsonObject(with: Data(value.utf8)) as? NSDictionary
        let original = try JSONSerialization.jsonObject(with: Data(sent.utf8)) as? NSDictionary
        #expect(parsed == original)
    }

    @Test(arguments: ["not base64!", Base64.encode(Array("[1]".utf8)), Base64.encode(Array("\"s\"".utf8)), Base64.encode(Array("{\"a\":".utf8)), ""])
    func refusesWhatIsNotBase64OfAJSONObject(_ text: String) {
        #expect(ClientContextHeader.value(base64: text) == nil)
        #expect(ClientContextHeader.object(base64: text) == nil)
    }
}

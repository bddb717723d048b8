import Foundation
import Testing

@testable import ShoalProtocol

@Suite struct Base64Tests {
    @Test func encodesAsFoundationDoesAndDecodesBackAtEveryLength() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let text = Base64.encode(bytes)
            #expect(text == Data(bytes).base64EncodedString(), "length \(length)")
            #expect(Base64.decode(text) == bytes, "length \(length)")
            #expect(Base64.decodedCount(text) == length, "length \(length)")
        }
        #expect(Base64.decode("+/8=") == [251, 255])
    }

    @Test func refusesWhatIsNotWholePaddedGroupsOfTheStandardAlphabet() {
        for text in ["YQ=", "YQ", "YWJjZA=", "Y Q==", "YQ==\n", "Y\u{e9}==", "-_8=", "YQ==YQ==", "=", "====", "YW=j", "A==="] {
            #expect(Base64.decode(text) == nil, "\(text.debugDescription)")
            #expect(Base64.decodedCount(text) == nil, "\(text.debugDescription)")
        }
    }

    @Test func ignoresUnusedBitsOfTheLastGroupAsFoundationDoes() {
        #expect(Base64.decode("YR==") == [97])
        #expect(Base64.decode("YWJjZB==") == [97, 98, 99, 100])
    }
}

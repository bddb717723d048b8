import Foundation
import ShoalProtocol
import Testing

@testable import ShoalLambda

@Suite struct JSONSyntaxTests {
    private func verdict(_ text: String) -> Result<JSONSyntax.Kind, JSONSyntax.Failure> {
        JSONSyntax.check(Array(text.utf8))
    }

    @Test(arguments: [
        ("{}", JSONSyntax.Kind.object), ("[]", .array), ("\"\"", .string), ("0", .number), ("null", .literal),
        (" \t\r\n{ \"a\" : [ 1 , -0.5e+3 , 2E-2 , 1e9 , true , false , null , { } , [ ] ] } \n", .object),
        ("{\"a\":1,\"a\":2}", .object),  // duplicate keys: allowed, as AWS's parser allows them
        ("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00 \\udc00\"", .string),
        ("\"caf\u{e9} \u{1F600}\"", .string), ("-0", .number), ("123456789012345678901234567890", .number),
        ("[[[[[[[[[[\"deep\"]]]]]]]]]]", .array),
    ])
    func acceptsJSONTexts(_ text: String, _ kind: JSONSyntax.Kind) {
        #expect(verdict(text) == .success(kind), "\(text.debugDescription)")
    }

    @Test(arguments: [
        "", " ", "not json", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "{'a':1}", "{\"a\" 1}", "{\"a\":}", "[1 2]",
        "01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "NaN", "Infinity", "-Infinity", "tru", "nul", "True",
        "\"open", "\"tab\there\"", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "{} {}", "[] x", "1 2", "// c\n{}",
        "{\"a\":1}}", "[1]]", "{\"a\":1]", "[1}",
    ])
    func refusesWhatIsNotOneJSONText(_ text: String) {
        guard case .failure = verdict(text) else {
            Issue.record("accepted \(text.debugDescription)")
            return
        }
    }

    @Test func refusesInvalidUTF8AndSaysWhere() {
        let bytes: [UInt8] = Array("{\"a\":\"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        guard case .failure(let failure) = JSONSyntax.check(bytes) else {
            Issue.record("accepted invalid UTF-8")
            return
        }
        #expect(failure.offset == 6)
        #expect(failure.reason == "invalid UTF-8")
    }

    @Test func saysWhereTheTextStopsBeingJSON() {
        #expect(
            verdict("{\n  \"a\": 1,\n  \"b\": tru\n}")
                == .failure(
                    .init(
                        offset: 19, line: 3, column: 8,
                        reason: "unrecognized token, where true, false, null, a number, a string, an array or an object belongs"
                    )))
        #expect(verdict("[1,]").failureDescription == "unexpected character ']' where a value belongs at line 1, column 4")
        #expect(verdict("{\"a\":1").failureDescription == "unexpected end of input at line 1, column 7")
        #expect(verdict("{\"a\":1} x").failureDescription == "unexpected character 'x' after the JSON value at line 1, column 9")
        #expect(verdict("\"a\u{01}\"").failureDescription == "control character (code 1) in a string: it must be escaped at line 1, column 3")
    }

    /// Long strings are passed eight bytes at a time: a special byte at any offset of a word,
    /// among non-ASCII bytes, is still seen.
    @Test func seesEverySpecialByteWhereverItFallsInAString() {
        for offset in 0..<20 {
            let before = String(repeating: "\u{e9}a", count: offset / 3) + String(repeating: "b", count: offset % 3)
            let after = String(repeating: "z\u{1F600}", count: 3)
            #expect(verdict("\"" + before + "\\\"" + after + "\"") == .success(.string), "escaped quote at \(offset)")
            #expect(verdict("[\"" + before + "\", 1]") == .success(.array), "closing quote at \(offset)")
            for refused in ["\u{01}", "\u{1F}", "\t", "\n", "\\x", "\"x"] {
                guard case .failure = verdict("\"" + before + refused + after + "\"") else {
                    Issue.record("accepted \(refused.debugDescription) after \(before.utf8.count) bytes")
                    continue
                }
            }
        }
    }

    @Test func limitsNestingToAWSsDepth() {
        let deepest = String(repeating: "[", count: JSONSyntax.maximumDepth) + String(repeating: "]", count: JSONSyntax.maximumDepth)
        #expect(verdict(deepest) == .success(.array))
        let deeper = "[" + deepest + "]"
        #expect(verdict(deeper).failureDescription?.hasPrefix("arrays and objects nested deeper than 1000 levels") == true)
        let objects =
            String(repeating: "{\"k\":", count: JSONSyntax.maximumDepth + 1) + "1" + String(repeating: "}", count: JSONSyntax.maximumDepth + 1)
        #expect(verdict(objects).failureDescription?.hasPrefix("arrays and objects nested deeper") == true)
    }

    /// Documents Foundation writes are JSON; every proper prefix of one that is an object or
    /// an array is not (its outermost container is still open).
    @Test func acceptsWhatFoundationWritesAndRefusesEveryPrefixOfIt() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<60 {
            let value = Self.randomValue(depth: 0, using: &generator)
            let document = try JSONSerialization.data(
                withJSONObject: ["round": round, "value": value], options: round % 2 == 0 ? [.prettyPrinted] : [])
            let bytes = [UInt8](document)
            #expect(JSONSyntax.check(bytes) == .success(.object), "\(String(decoding: bytes, as: UTF8.self))")
            for length in 0..<bytes.count {
                if case .success = JSONSyntax.check(Array(bytes[..<length])) {
                    Issue.record("accepted a prefix of \(length) bytes: \(String(decoding: bytes[..<length], as: UTF8.self))")
                    return
                }
            }
        }
    }

    private static func randomValue(depth: Int, using generator: inout SystemRandomNumberGenerator) -> Any {
        switch Int.random(in: depth > 3 ? 0...4 : 0...6, using: &generator) {
        case 0: return Int.random(in: -100_000...100_000, using: &generator)
        case 1: return Double.random(in: -1e6...1e6, using: &generator)
        case 2:
            return ["plain", "quote \" backslash \\ slash /", "tab\tline\n", "caf\u{e9} \u{1F600}", "\u{01}", ""].randomElement(using: &generator)!
        case 3: return Bool.random(using: &generator)
        case 4: return NSNull()
        case 5: return (0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) }
        default:
            var object: [String: Any] = [:]
            for index in 0..<Int.random(in: 0...4, using: &generator) { object["k\(index)"] = randomValue(depth: depth + 1, using: &generator) }
            return object
        }
    }
}

extension Result where Failure == JSONSyntax.Failure {
    fileprivate var failureDescription: String? {
        if case .failure(let failure) = self { return failure.description }
        return nil
    }
}

import Testing

@testable import ShoalRuntimeInterface

@Suite struct LogBufferTests {
    @Test func keepsTheNewestBytesAndCutsTailsByOffset() {
        let logs = LogBuffer(capacity: 10)
        logs.append(Array("0123456789".utf8))
        let mark = logs.end
        logs.append(Array("abcdef".utf8))
        #expect(logs.contents == Array("6789abcdef".utf8))
        #expect(logs.tail(from: mark, limit: 100) == Array("abcdef".utf8))
        #expect(logs.tail(from: mark, limit: 3) == Array("def".utf8))
        for _ in 0..<1_000 { logs.append(Array("xyz".utf8)) }
        #expect(logs.contents.count == 10)
        #expect(logs.tail(from: mark, limit: 100).count == 10, "what was dropped cannot be cut out")
        #expect(logs.end == 16 + 3_000)
    }
}

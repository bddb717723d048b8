import Testing

@testable import ShoalGateway

@Suite struct CRC32Tests {
    @Test func matchesTheStandardCheckValue() {
        // The CRC-32/ISO-HDLC check value for "123456789".
        #expect(CRC32(Array("123456789".utf8)).value == 0xCBF4_3926)
        #expect(CRC32().value == 0)
    }

    @Test func incrementalUpdatesEqualOneShot() {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var crc = CRC32()
        crc.update(bytes[..<3_333])
        crc.update(bytes[3_333...])
        #expect(crc == CRC32(bytes))
    }
}

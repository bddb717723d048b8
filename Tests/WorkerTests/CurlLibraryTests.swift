import Testing
@testable import ShoalWorker

@Suite struct CurlLibraryTests {
    @Test func libcurlInitializesAndReportsItsVersion() {
        #expect(CurlLibrary.initialize())
        let parts = CurlLibrary.version.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count == 3, "version \(CurlLibrary.version)")
        #expect(parts.first ?? 0 >= 7)
    }
}

import Foundation
import ShoalTestSupport
import ShoalZip
import Testing

/// Shoal's own zip reader: what users' tools write (deflated links, zip64) reads as `unzip`
/// reads it, and damage is named for what it is.
@Suite struct ZipArchiveTests {
    private func contents(_ entry: ZipEntry, of archive: ZipArchive) throws -> String {
        var bytes: [UInt8] = []
        try ZipInflater().read(entry, of: archive) { bytes.append(contentsOf: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func aDeflatedLinkReadsAsItsTarget() throws {
        let archive = try ZipArchive(
            PythonZip.make([
                .init("helper_impl.py", "VALUE = 1\n"), .init("helper.py", "helper_impl.py", link: true),
            ]))
        let link = try #require(archive.entries.first { $0.path == "helper.py" })
        #expect(link.kind == .symlink && link.method == 8, "Python deflates the link's target like any content")
        #expect(try ZipInflater().linkTarget(link, of: archive) == "helper_impl.py")
        let file = try #require(archive.entries.first { $0.path == "helper_impl.py" })
        #expect(file.kind == .file && file.permissions == 0o644)
        #expect(try contents(file, of: archive) == "VALUE = 1\n")
    }

    @Test func storedEntriesReadAndAStoredByteChangedFailsItsCRC() throws {
        var bytes = TestZip.make(["a.txt": String(repeating: "a", count: 300_000)])
        let archive = try ZipArchive(bytes)
        #expect(try contents(archive.entries[0], of: archive).count == 300_000, "read in pieces larger than one buffer")
        bytes[200] = UInt8(ascii: "b")
        let damaged = try ZipArchive(bytes)
        let error = #expect(throws: ZipError.self) { try contents(damaged.entries[0], of: damaged) }
        #expect(error?.code == .corrupt && error?.message.contains("CRC-32 mismatch") == true)
    }

    @Test func truncatedOrForeignBytesAreCorrupt() throws {
        let zip = TestZip.make(["a.txt": "hello"])
        for bytes in [Array(zip.prefix(zip.count - 30)), Array("not a zip at all, just text".utf8), []] {
            let error = #expect(throws: ZipError.self) { _ = try ZipArchive(bytes) }
            #expect(error?.code == .corrupt && error?.message.hasPrefix("Could not unzip uploaded file") == true)
        }
    }

    /// An end record that claims far more entries than its directory holds is refused before
    /// anything is sized by the claim.
    @Test func aDirectoryThatClaimsMoreEntriesThanItHoldsIsCorrupt() throws {
        var bytes = TestZip.make(["a.txt": "hello"])
        let end = bytes.count - 22
        bytes[end + 8] = 0xFE
        bytes[end + 9] = 0xFF
        bytes[end + 10] = 0xFE
        bytes[end + 11] = 0xFF
        let error = #expect(throws: ZipError.self) { _ = try ZipArchive(bytes) }
        #expect(error?.code == .corrupt && error?.message.contains("more entries") == true, "\(String(describing: error))")
    }

    @Test func aZip64DirectoryOfMoreThan65535EntriesIsRead() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-zip64-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: url) }
        try PythonZip.many(70_000, to: url)
        let archive = try ZipArchive(Array(try Data(contentsOf: url)))
        #expect(archive.entries.count == 70_000)
        #expect(try contents(archive.entries[69_999], of: archive) == "VALUE = 69999\n")
    }
}

/// The tree rules, as pure functions: what may be unpacked into a directory.
@Suite struct ZipTreeRulesTests {
    @Test func pathsAreNormalizedAndUnsafeOnesRefused() throws {
        #expect(try ZipTreeRules.relativePath("./lib//util.py") == "lib/util.py")
        for path in ["/etc/passwd", "../evil.py", "lib/../../evil.py", "", "./", "a\0b"] {
            let error = #expect(throws: ZipError.self, "\(path)") { _ = try ZipTreeRules.relativePath(path) }
            #expect(error?.code == .unsafePath)
        }
    }

    @Test func linksInsideTheTreePassChainsAndLoopsIncluded() throws {
        try ZipTreeRules.checkLinks([
            "lib/libx.so": "libx.so.1", "lib/libx.so.1": "libx.so.1.2",
            "node_modules/.bin/tool": "../tool/cli.js", "current": "releases/2", "releases/2/up": "..",
            "loop/a": "b", "loop/b": "a",
        ])
    }

    @Test func linksLeavingTheTreeAloneOrThroughOthersAreRefused() {
        let escaping: [[String: String]] = [
            ["up": ".."],
            ["abs": "/etc/passwd"],
            ["a/up": "../..", "b": "a/up/x"],
            // Each alone stays inside; followed through each other they leave.
            ["a/up": "..", "b": "a/up/.."],
            ["deep/link": "../sibling", "sibling": "../outside"],
            ["x": "y/../..", "y": "z"],
        ]
        for links in escaping {
            let error = #expect(throws: ZipError.self, "\(links)") { try ZipTreeRules.checkLinks(links) }
            #expect(error?.code == .unsafePath && error?.message.contains("points outside") == true)
        }
    }

    @Test func aLaterArchivesFileReplacesALinkOfTheSamePath() throws {
        var tree = ZipTree()
        let inflater = ZipInflater()
        try tree.add(ZipArchive(PythonZip.make([.init("lib", "..", link: true)])), using: inflater)
        #expect(throws: ZipError.self) { try tree.checkLinks() }
        try tree.add(ZipArchive(TestZip.make(["lib": "now a file"])), using: inflater)
        try tree.checkLinks()
        #expect(tree.paths == [["lib"], ["lib"]])
    }
}

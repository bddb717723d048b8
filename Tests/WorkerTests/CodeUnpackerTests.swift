import Foundation
import ShoalTestSupport
import Testing

@testable import ShoalWorker

/// Hostile archives are refused with InvalidParameterValueException and write nothing
/// outside (or inside) the code directory.
@Suite struct CodeUnpackerTests {
    private func workspace() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("unpack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Unpacks into `workspace/deploy/code` and reports what the workspace holds afterwards.
    private func attempt(_ items: [ArchiveBuilder.Item]) throws -> (error: WorkerError?, files: [String]) {
        let root = try workspace()
        defer { CodeUnpacker.removeTree(root) }
        let zip = try ArchiveBuilder.build(items, in: root)
        let destination = root.appendingPathComponent("deploy/code")
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        var failure: WorkerError?
        do throws(WorkerError) {
            try CodeUnpacker.unpack([zip], into: destination)
        } catch {
            failure = error
        }
        try FileManager.default.removeItem(at: zip)
        let files = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).sorted()
        return (failure, files)
    }

    @Test func aGoodArchiveUnpacksReadOnlyWithModesAndInnerLinks() throws {
        let root = try workspace()
        defer { CodeUnpacker.removeTree(root) }
        let zip = try ArchiveBuilder.build(
            [
                .file("bootstrap", "#!/bin/sh\n", permissions: 0o755),
                .directory("lib/"),
                .file("lib/util.py", "x = 1\n"),
                .link("lib/alias.py", target: "util.py"),
            ], in: root)
        let code = root.appendingPathComponent("code")
        try CodeUnpacker.unpack([zip], into: code)
        #expect(FileManager.default.isExecutableFile(atPath: code.appendingPathComponent("bootstrap").path))
        #expect(try String(contentsOf: code.appendingPathComponent("lib/alias.py"), encoding: .utf8) == "x = 1\n")
        #expect(!FileManager.default.isWritableFile(atPath: code.appendingPathComponent("lib/util.py").path) || getuid() == 0)
        var info = stat()
        stat(code.appendingPathComponent("lib/util.py").path, &info)
        #expect(info.st_mode & 0o222 == 0, "no write bits")
    }

    /// Python's `zipfile` with ZIP_DEFLATED deflates a link's target too; `unzip -t` passes
    /// such a zip, and so must Shoal (`.so` version links and `node_modules/.bin` are links).
    @Test func aDeflatedInTreeLinkUnpacksAsALink() throws {
        let root = try workspace()
        defer { CodeUnpacker.removeTree(root) }
        let zip = root.appendingPathComponent("linked.zip")
        try Data(PythonZip.make([.init("helper_impl.py", "VALUE = 1\n"), .init("helper.py", "helper_impl.py", link: true)])).write(to: zip)
        let code = root.appendingPathComponent("code")
        try CodeUnpacker.unpack([zip], into: code)
        let link = code.appendingPathComponent("helper.py").path
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "helper_impl.py")
        #expect(try String(contentsOfFile: link, encoding: .utf8) == "VALUE = 1\n")
    }

    /// Links that each stay inside but leave the tree when followed through each other, here
    /// across a layer and the code unpacked together, are refused before anything is written.
    @Test func linksChainedAcrossArchivesOutOfTheTreeAreRefused() throws {
        let root = try workspace()
        defer { CodeUnpacker.removeTree(root) }
        let first = root.appendingPathComponent("layer.zip")
        let second = root.appendingPathComponent("code.zip")
        try Data(PythonZip.make([.init("a/up", "..", link: true)])).write(to: first)
        try Data(PythonZip.make([.init("b", "a/up/..", link: true)])).write(to: second)
        let destination = root.appendingPathComponent("opt")
        let error = #expect(throws: WorkerError.self) { try CodeUnpacker.unpack([first, second], into: destination) }
        #expect(error?.code == .invalidParameter && error?.message.contains("points outside") == true)
        #expect(!FileManager.default.fileExists(atPath: destination.path))
    }

    @Test func laterArchivesOverwriteEarlierOnesLikeLayers() throws {
        let root = try workspace()
        defer { CodeUnpacker.removeTree(root) }
        let first = try ArchiveBuilder.build([.file("python/shared.py", "v = 1\n"), .file("python/one.py", "")], in: root)
        let second = try ArchiveBuilder.build([.file("python/shared.py", "v = 2\n")], in: root)
        let opt = root.appendingPathComponent("opt")
        try CodeUnpacker.unpack([first, second], into: opt)
        #expect(try String(contentsOf: opt.appendingPathComponent("python/shared.py"), encoding: .utf8) == "v = 2\n")
        #expect(FileManager.default.fileExists(atPath: opt.appendingPathComponent("python/one.py").path))
    }

    @Test func zipSlipIsRefused() throws {
        let outcome = try attempt([.file("ok.txt", "fine"), .file("../../escaped.txt", "evil")])
        #expect(outcome.error?.rpcError.data?.type == "InvalidParameterValueException")
        #expect(!outcome.files.contains { $0.contains("escaped") })
        #expect(!outcome.files.contains { $0.hasPrefix("deploy/code") }, "nothing is left in the code directory either")
        #expect(
            !FileManager.default.fileExists(
                atPath: FileManager.default.temporaryDirectory.deletingLastPathComponent().appendingPathComponent("escaped.txt").path))
    }

    @Test func absolutePathsAreRefused() throws {
        let outcome = try attempt([.file("/tmp/shoal-absolute-\(UUID().uuidString)", "evil")])
        #expect(outcome.error?.code == .invalidParameter)
        #expect(outcome.files.filter { $0.hasPrefix("deploy/") }.isEmpty)
    }

    @Test func linksPointingOutsideAreRefused() throws {
        for target in ["../../../etc/passwd", "/etc/passwd", "../../x", "file/../../.."] {
            let outcome = try attempt([.file("a/file", "x"), .link("a/link", target: target)])
            #expect(outcome.error?.code == .invalidParameter, "\(target)")
            #expect(outcome.files.filter { $0.hasPrefix("deploy/") }.isEmpty)
        }
        // Each link alone stays inside; chained, they leave the tree.
        let chained = try attempt([.directory("a/"), .link("a/up", target: ".."), .link("b", target: "a/up/..")])
        #expect(chained.error?.code == .invalidParameter)
        #expect(chained.files.filter { $0.hasPrefix("deploy/") }.isEmpty)
        // A link that stays inside is fine.
        #expect(try attempt([.file("a/file", "x"), .link("a/link", target: "../a/file")]).error == nil)
    }

    @Test func aZipBombIsRefusedByTheBytesItWouldWrite() throws {
        let outcome = try attempt([.zeros("bomb.bin", bytes: 251 * 1024 * 1024)])
        #expect(outcome.error?.code == .invalidParameter)
        #expect(outcome.error?.message.contains("Unzipped size") == true)
        #expect(outcome.files.filter { $0.hasPrefix("deploy/") }.isEmpty, "the partial file is gone too")
    }

    @Test func aCorruptArchiveIsRefused() throws {
        let root = try workspace()
        defer { CodeUnpacker.removeTree(root) }
        // Content that does not compress, so the damage below lands in the compressed data.
        var generator = SystemRandomNumberGenerator()
        let noise = String((0..<20_000).map { _ in "0123456789abcdef".randomElement(using: &generator)! })
        // Damaged deflate data may fail to inflate or may inflate to other bytes (which only the
        // CRC shows); damaged stored data always inflates, so it is always the CRC's to catch.
        var damaged: [[UInt8]] = []
        for item in [ArchiveBuilder.Item.file("a.py", noise), .stored("a.py", noise)] {
            var bytes = try ArchiveBuilder.bytes([item])
            for index in 2_000..<2_100 { bytes[index] ^= 0x5a }
            damaged.append(bytes)
        }
        for bytes in [Array("not a zip at all".utf8)] + damaged {
            let zip = root.appendingPathComponent("bad-\(UUID().uuidString).zip")
            try Data(bytes).write(to: zip)
            #expect(throws: WorkerError.self) { try CodeUnpacker.unpack([zip], into: root.appendingPathComponent("code-\(UUID().uuidString)")) }
        }
        let left = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).filter {
            $0.hasPrefix("code-") || $0.hasPrefix(".staging")
        }
        #expect(left.isEmpty)
    }
}

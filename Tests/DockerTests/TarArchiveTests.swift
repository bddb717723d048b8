import Foundation
import Testing

@testable import ShoalDocker

/// The tar the engine's archive upload takes, read back by the system's own tar.
struct TarArchiveTests {
    @Test func filesDirectoriesLinksAndLongNamesReadBackWithTheirModes() throws {
        let long = String(repeating: "d", count: 60) + "/" + String(repeating: "f", count: 60) + ".py"
        let archive = TarArchive([
            .directory(path: "var/task", mode: 0o755),
            .file(path: "var/task/bootstrap", bytes: Array("#!/bin/sh\n".utf8), mode: 0o755),
            .file(path: "var/task/" + long, bytes: Array("x = 1\n".utf8), mode: 0o644),
            .symlink(path: "var/task/link", target: "bootstrap"),
        ])
        #expect(archive.bytes.count % 512 == 0)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("a.tar")
        try Data(archive.bytes).write(to: file)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-xf", file.path, "-C", directory.path]
        try tar.run()
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0)
        let root = directory.appendingPathComponent("var/task")
        #expect(try String(contentsOf: root.appendingPathComponent(long), encoding: .utf8) == "x = 1\n")
        #expect(FileManager.default.isExecutableFile(atPath: root.appendingPathComponent("bootstrap").path))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root.appendingPathComponent("link").path) == "bootstrap")
    }

    @Test func logFramesInterleaveStdoutAndStderrAndStopAtAPartialFrame() {
        func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
            let bytes = Array(text.utf8)
            return [stream, 0, 0, 0, 0, 0, 0, UInt8(bytes.count)] + bytes
        }
        let stream = frame(1, "out ") + frame(2, "err ") + frame(1, "again") + [1, 0, 0, 0, 0, 0, 0, 9, 65]
        #expect(LogFrames.text(stream) == "out err again")
    }

    @Test func theAPIVersionIsTheEnginesCappedAndOldEnginesAreRefused() throws {
        #expect(try APIVersion.negotiate(engine: "1.41") == "1.41")
        #expect(try APIVersion.negotiate(engine: "1.51") == "1.47")
        #expect(throws: DockerError.self) { try APIVersion.negotiate(engine: "1.30") }
        #expect(throws: DockerError.self) { try APIVersion.negotiate(engine: "banana") }
    }

    @Test func imageNamesSplitIntoRepositoryAndTag() {
        #expect(DockerEngine.split(image: "python") == ("python", "latest"))
        #expect(DockerEngine.split(image: "public.ecr.aws/lambda/python:3.12") == ("public.ecr.aws/lambda/python", "3.12"))
        #expect(DockerEngine.split(image: "localhost:5000/team/fn") == ("localhost:5000/team/fn", "latest"))
    }
}

import Foundation
import ShoalDocker
import ShoalProtocol
import Subprocess
import SystemPackage

/// This worker's emulator (`shoal-rie`, or `shoal` for `shoal rie`) and the shared libraries it
/// loads (the loader and glibc among them), so that it runs in any image of the same
/// architecture, glibc or not, with no file of the worker's own machine mounted: the worker
/// copies it into a volume through the engine.
struct RIEBundle: Sendable {
    /// The executable's path.
    var executable: String
    /// What follows the executable (`rie` for `shoal`).
    var arguments: [String]
    /// Each library by the name it is loaded as (its soname) and the file it is.
    var libraries: [(name: String, path: String)]
    /// The dynamic loader's file name (run with `--library-path`).
    var loader: String

    /// The bundle of `command` (`EmulatorCommand.beside`), from what `ldd` says it loads.
    static func of(_ command: [String]) async throws(WorkerError) -> RIEBundle {
        guard let executable = command.first else { throw WorkerError(.internalFailure, "no emulator executable to bundle") }
        let output: String
        do {
            let result = try await run(.name("ldd"), arguments: [executable], output: .string(limit: 1 << 20), error: .discarded)
            output = result.standardOutput
        } catch {
            throw WorkerError(.internalFailure, "ldd \(executable) failed: \(error)")
        }
        let (libraries, loader) = parse(ldd: output)
        guard let loader else { throw WorkerError(.internalFailure, "ldd named no dynamic loader for \(executable)") }
        return RIEBundle(
            executable: executable, arguments: Array(command.dropFirst()),
            libraries: libraries + [(URL(fileURLWithPath: loader).lastPathComponent, loader)],
            loader: URL(fileURLWithPath: loader).lastPathComponent)
    }

    /// `ldd`'s lines: `soname => path (address)` for libraries, `path (address)` for the loader.
    static func parse(ldd output: String) -> (libraries: [(name: String, path: String)], loader: String?) {
        var libraries: [(String, String)] = []
        var loader: String?
        func isLoader(_ name: Substring) -> Bool { name.contains("ld-linux") || name.contains("ld-musl") }
        for line in output.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if parts.count >= 3, parts[1] == "=>", parts[2].hasPrefix("/") {
                if isLoader(parts[0]) { loader = String(parts[2]) } else { libraries.append((String(parts[0]), String(parts[2]))) }
            } else if let first = parts.first, first.hasPrefix("/"), isLoader(first) {
                loader = String(first)
            }
        }
        return (libraries, loader)
    }

    /// A volume name that changes when the executable does (its size and modification time).
    func volumeName(workerID: String) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: executable)
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        let modified = Int((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
        let digest = String(StableHash.hash("\(executable)|\(size)|\(modified)|\(libraries.map(\.path))"), radix: 16)
        return "shoal-rie-\(workerID)-\(digest)"
    }

    /// The executable's file name in the volume.
    var fileName: String { URL(fileURLWithPath: executable).lastPathComponent }

    /// How a container that mounts the volume at `path` runs it.
    func command(mountedAt path: String) -> [String] { ["\(path)/\(fileName)"] + arguments }

    /// The tar the volume is filled from: the executable and `lib/<soname>` for each library.
    func archive() throws -> TarArchive {
        var entries: [TarArchive.Entry] = [
            .file(path: fileName, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: executable))), mode: 0o755),
            .directory(path: "lib", mode: 0o755),
        ]
        for (name, path) in libraries {
            entries.append(.file(path: "lib/\(name)", bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))), mode: 0o755))
        }
        return TarArchive(entries)
    }
}

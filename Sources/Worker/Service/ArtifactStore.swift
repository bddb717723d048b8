import Crypto
import Foundation
import NIOPosix
import ShoalProtocol
import ShoalZip

/// Code and layer zips on the worker's disk, by content: `DATA_DIR/artifacts/<sha256>.zip`.
///
/// A blob is checked (hash, zip structure) before it is stored and written atomically
/// (temporary file, fsync, rename), so a reader never sees half a zip. File I/O runs on NIO's
/// blocking thread pool, never on Swift's cooperative threads.
package struct ArtifactStore: Sendable {
    package let directory: URL
    private let threadPool: NIOThreadPool

    package init(directory: URL, threadPool: NIOThreadPool = .singleton) throws {
        self.directory = directory
        self.threadPool = threadPool
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    package func path(of sha256: String) -> URL {
        directory.appendingPathComponent("\(sha256).zip")
    }

    package func contains(_ sha256: String) -> Bool {
        Self.isValidHash(sha256) && FileManager.default.fileExists(atPath: path(of: sha256).path)
    }

    /// Stores `bytes` as artifact `sha256`; refuses a wrong hash or a corrupt zip.
    package func put(sha256: String, bytes: [UInt8]) async throws -> Int {
        guard Self.isValidHash(sha256) else {
            throw WorkerError(.invalidParameter, "sha256 must be 64 lowercase hex digits")
        }
        let actual = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        guard actual == sha256 else {
            throw WorkerError(.invalidParameter, "content hash \(actual) does not match the declared sha256 \(RPCError.echo(sha256))")
        }
        do {
            _ = try ZipArchive(bytes)
        } catch {
            throw WorkerError(.invalidParameter, error.message)
        }
        let target = path(of: sha256)
        try await threadPool.runIfActive {
            guard !FileManager.default.fileExists(atPath: target.path) else { return }
            let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(sha256).\(UUID().uuidString).tmp")
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw WorkerError(.internalFailure, "could not create \(temporary.path)")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
            try handle.close()
            if rename(temporary.path, target.path) != 0 {
                try? FileManager.default.removeItem(at: temporary)
                throw WorkerError(.internalFailure, "could not store artifact: errno \(errno)")
            }
        }
        return bytes.count
    }

    static func isValidHash(_ sha256: String) -> Bool {
        sha256.utf8.count == 64 && sha256.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

import Foundation
import Logging
import NIOConcurrencyHelpers
import ShoalRuntimeInterface

/// The worker's Python fork servers (`PythonForkServer`), one per interpreter and runtime
/// client, each started when a function that needs it is deployed (or by the first cold start
/// that does) and restarted whenever it dies.
///
/// An instance's `shoal rie` gets the server's socket and asks it for its runtime; when the
/// server is down (dead, restarting, or never came up), the RIE spawns the runtime as before,
/// so a fork server can only make a cold start faster, never fail it.
final class PythonForkServers: Sendable {
    /// Which server can start a runtime command: its interpreter and runtime client
    /// ("awslambdaric", or the bundled loop's path).
    struct Key: Hashable, Sendable {
        var python: String
        var client: String
    }

    private struct State {
        var sockets: [Key: String] = [:]
        var firstStarts: [Key: Task<Bool, Never>] = [:]
        var running: [Key: RuntimeProcess] = [:]
        /// Servers that were up at least once: their socket is handed out even while they are
        /// restarting (an emulator that finds none spawns).
        var everUp: Set<Key> = []
        var stopped = false
    }

    private let runtimeDirectory: URL
    private let socketDirectory: String
    private let state = NIOLockedValueBox(State())
    private let logger = Logger(label: "shoal.worker.fork-server")

    /// `runtimeDirectory` holds the server's script; sockets go to a directory of their own
    /// under the temporary directory (a unix socket's path is limited to 107 bytes).
    init(runtimeDirectory: URL) throws {
        self.runtimeDirectory = runtimeDirectory
        socketDirectory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("shoal-fork-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))").path
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
    }

    /// The fork server that can start `command`, if one can (pure).
    static func key(for command: [String]) -> Key? {
        guard let python = command.first else { return nil }
        if command.count == 4, command[1] == "-m", command[2] == "awslambdaric" { return Key(python: python, client: "awslambdaric") }
        if command.count == 3, command[1] == "-u", command[2].hasSuffix("/\(PythonRuntimeLoop.fileName)") {
            return Key(python: python, client: command[2])
        }
        return nil
    }

    /// The socket of the server for `command`, starting it on first use (callers wait for that
    /// first start); nil when no server runs such a command or it could not be started.
    func socket(for command: [String]) async -> String? {
        guard let key = Self.key(for: command) else { return nil }
        let (path, first) = state.withLockedValue { state -> (String?, Task<Bool, Never>?) in
            guard !state.stopped else { return (nil, nil) }
            if let path = state.sockets[key] { return (path, state.firstStarts[key]) }
            let path = "\(socketDirectory)/python-\(state.sockets.count).sock"
            state.sockets[key] = path
            let first = Task { await self.supervise(key, path: path) }
            state.firstStarts[key] = first
            return (path, first)
        }
        guard let path else { return nil }
        _ = await first?.value
        return state.withLockedValue { $0.everUp.contains(key) } ? path : nil
    }

    /// Starts the server, then keeps it running: a server that exits is started again (after
    /// a pause that grows while it keeps failing, until `startAttempts` starts in a row never
    /// got it ready). Returns once the first start is ready or
    /// has failed; the supervision goes on in the background.
    private func supervise(_ key: Key, path: String) async -> Bool {
        let first = await start(key, path: path)
        Task {
            var process = first
            var failures = first == nil ? 1 : 0
            while true {
                if let process {
                    let exit = await process.exited
                    guard !isStopped else { return }
                    logger.warning(
                        "the Python fork server for \(key.python) (\(key.client)) ended (\(exit)); restarting it, cold starts spawn until it is back")
                }
                guard failures < Self.startAttempts else {
                    logger.error(
                        "the Python fork server for \(key.python) (\(key.client)) failed to start \(failures) times in a row; cold starts spawn")
                    return
                }
                try? await Task.sleep(for: .milliseconds(min(5_000, 50 << min(failures, 7))))
                guard !isStopped else { return }
                process = await start(key, path: path)
                failures = process == nil ? failures + 1 : 0
            }
        }
        return first != nil
    }

    /// Starts in a row that may fail (never getting ready) before the server is given up.
    static let startAttempts = 5

    private var isStopped: Bool { state.withLockedValue { $0.stopped } }

    /// One server process, ready (its ready line printed), or nil.
    private func start(_ key: Key, path: String) async -> RuntimeProcess? {
        // No PYTHON* variable of the worker's own: each child gets its function's.
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PYTHON") }
        let logs = LogBuffer(capacity: 64 * 1024)
        let process = RuntimeProcess(
            .init(
                executable: key.python, arguments: [runtimeDirectory.appendingPathComponent(PythonForkServer.fileName).path, path, key.client],
                environment: environment, workingDirectory: runtimeDirectory.path),
            logs: logs, echo: true, isolation: .newSession)
        let admitted = state.withLockedValue { state -> Bool in
            guard !state.stopped else { return false }
            state.running[key] = process
            return true
        }
        guard admitted else {
            await process.stop()
            return nil
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let seen = logs.end
            if String(decoding: logs.contents, as: UTF8.self).contains(" ready\n") {
                state.withLockedValue { _ = $0.everUp.insert(key) }
                return process
            }
            if let pid = process.pid, kill(pid, 0) != 0 { break }
            await logs.wait(beyond: seen, atMost: .milliseconds(25))
        }
        logger.warning(
            "the Python fork server for \(key.python) (\(key.client)) did not start; cold starts spawn: \(String(decoding: logs.contents.suffix(1024), as: UTF8.self))"
        )
        await process.stop()
        return nil
    }

    /// Stops every server (after the instances: a server kills the runtimes it still has).
    func stopAll() async {
        let processes = state.withLockedValue { state in
            state.stopped = true
            return Array(state.running.values)
        }
        for process in processes { await process.terminate(grace: .seconds(2)) }
        try? FileManager.default.removeItem(atPath: socketDirectory)
    }
}

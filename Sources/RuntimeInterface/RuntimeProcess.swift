import CShoalSystem
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Subprocess
import SystemPackage

/// A child process in a process group of its own, so that stopping it stops everything it
/// started: the runtime an RIE runs (python, node, a `bootstrap`), or the RIE a worker runs.
///
/// `isolation` says how far apart it is set: a new process group (the RIE's runtime: it stays
/// in the RIE's session), or a new session (an instance started by the worker: everything it
/// ever starts stays in that session, which is how the backend finds every process of an
/// instance, even if the RIE itself died).
///
/// Its stdout and stderr go to a `LogBuffer` (and, when `echo` is set, to this process's
/// stderr, which is the instance's log). `exited` reports how it ended.
package final class RuntimeProcess: Sendable {
    package struct Command: Sendable, Hashable {
        package var executable: String
        package var arguments: [String]
        package var environment: [String: String]
        package var workingDirectory: String

        package init(executable: String, arguments: [String] = [], environment: [String: String], workingDirectory: String) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.workingDirectory = workingDirectory
        }
    }

    /// How the process ended: an exit status, or the signal that killed it.
    package enum Exit: Sendable, Hashable, CustomStringConvertible {
        case status(Int32)
        case signal(Int32)
        case failedToStart(String)
        /// It ended, but what it exited with is lost (its fork server went away first).
        case unknown(String)

        package var description: String {
            switch self {
            case .status(let code): "exit status \(code)"
            case .signal(let number): number == SIGKILL ? "signal: killed" : "signal: \(number)"
            case .failedToStart(let reason): "failed to start: \(reason)"
            case .unknown(let reason): "exit status unknown: \(reason)"
            }
        }
    }

    package enum Isolation: Sendable {
        case newProcessGroup
        case newSession
    }

    private let task: Task<Exit, Never>
    private let started: NIOLockedValueBox<pid_t?>
    /// The read end of the output pipe, while it is open.
    private let outputFD: NIOLockedValueBox<Int32?>
    /// The channel reading the output pipe.
    private let readerChannel: NIOLockedValueBox<(any Channel)?>

    /// `onStart` runs with the process id as soon as the process exists. With `forkServer`,
    /// the process is asked of that server first (it then gets a session of its own), and
    /// spawned only if the server does not start it.
    package init(
        _ command: Command, logs: LogBuffer, echo: Bool = true, isolation: Isolation = .newProcessGroup, forkServer: ForkServer? = nil,
        onStart: @escaping @Sendable (pid_t) -> Void = { _ in }
    ) {
        let started = NIOLockedValueBox<pid_t?>(nil)
        let outputFD = NIOLockedValueBox<Int32?>(nil)
        let readerChannel = NIOLockedValueBox<(any Channel)?>(nil)
        self.started = started
        self.outputFD = outputFD
        self.readerChannel = readerChannel
        task = Task {
            var options = PlatformOptions()
            switch isolation {
            case .newProcessGroup: options.processGroupID = 0
            case .newSession: options.createSession = true
            }
            // Cancellation (stop) kills the whole group: the process and its children.
            options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .milliseconds(200))]
            // Our own pipe for stdout and stderr, read by NIO into the log buffer, so that
            // `pendingOutputBytes` can tell what the process wrote that is not read yet.
            var ends: [Int32] = [-1, -1]
            guard shoal_pipe_cloexec(&ends) == 0 else { return .failedToStart("pipe: errno \(errno)") }
            let errorEnd = shoal_dup_cloexec(ends[1])
            // The fork server's request goes first: the runtime's init runs while the rest is set up.
            let forkConnection = forkServer.flatMap { Self.requestFork(command, server: $0, outputFD: ends[1], errorFD: errorEnd) }
            outputFD.withLockedValue { $0 = ends[0] }
            let reader = try? await OutputReader.start(fd: ends[0], logs: logs, echo: echo)
            if reader == nil { close(ends[0]) }
            readerChannel.withLockedValue { $0 = reader }
            defer { outputFD.withLockedValue { $0 = nil } }
            if let forkConnection,
                let exit = await Self.awaitForked(forkConnection, outputFD: ends[1], errorFD: errorEnd, started: started, onStart: onStart)
            {
                try? await reader?.closeFuture.get()
                return exit
            }
            // Stopped while the server had the request: no spawn in its place.
            if forkConnection != nil, Task.isCancelled {
                close(ends[1])
                close(errorEnd)
                try? await reader?.close()
                return .failedToStart("stopped before the fork server answered")
            }
            do {
                let result = try await run(
                    .path(FilePath(command.executable)),
                    arguments: Arguments(command.arguments),
                    // Raw entries are strdup'ed: each must carry its own NUL terminator.
                    // SHOAL_PARENT_PID lets a `shoal` child tell whether its parent died even
                    // before it got to look (ParentWatch).
                    environment: .custom(
                        command.environment.merging([RuntimeProcess.parentVariable: String(getpid())]) { $1 }
                            .map { Array("\($0.key)=\($0.value)\0".utf8) }),
                    workingDirectory: FilePath(command.workingDirectory),
                    platformOptions: options,
                    input: .none,
                    output: .fileDescriptor(FileDescriptor(rawValue: ends[1]), closeAfterSpawningProcess: true),
                    error: FileDescriptorOutput.fileDescriptor(FileDescriptor(rawValue: errorEnd), closeAfterSpawningProcess: true)
                ) { execution in
                    started.withLockedValue { $0 = execution.processIdentifier.value }
                    onStart(execution.processIdentifier.value)
                }
                // The main process is gone: make sure nothing of its group outlives it.
                if let pid = started.withLockedValue({ $0 }), pid > 1 { kill(-pid, SIGKILL) }
                try? await reader?.closeFuture.get()
                switch result.terminationStatus {
                case .exited(let code): return .status(code)
                case .signaled(let number): return .signal(number)
                }
            } catch {
                close(ends[1])
                close(errorEnd)
                try? await reader?.close()
                return .failedToStart("\(error)")
            }
        }
    }

    /// Bytes the process wrote to its output that are not read into the log yet.
    package var pendingOutputBytes: Int {
        outputFD.withLockedValue { fd in fd.map { max(0, Int(shoal_pending_bytes($0))) } ?? 0 }
    }

    /// Returns once everything the process wrote so far is in the log: waits (up to `limit`)
    /// while the pipe holds unread bytes, then passes once through the reader's event loop,
    /// which finishes any read that was already under way.
    package func drainOutput(limit: Duration = .milliseconds(200)) async {
        let deadline = ContinuousClock.now + limit
        while pendingOutputBytes > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .microseconds(200))
        }
        if let channel = readerChannel.withLockedValue({ $0 }) {
            try? await channel.eventLoop.submit {}.get()
        }
    }

    /// The process id once it started.
    package var pid: pid_t? { started.withLockedValue { $0 } }

    /// The environment variable that tells a child the pid of the process that started it.
    package static let parentVariable = "SHOAL_PARENT_PID"

    /// Waits for the process to end.
    package var exited: Exit {
        get async { await task.value }
    }

    /// Kills the process group and waits until it is gone.
    @discardableResult
    package func stop() async -> Exit {
        task.cancel()
        return await task.value
    }
}

/// Reads a pipe into a log buffer on an event loop (and echoes it, if asked).
private final class OutputReader: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let logs: LogBuffer
    let echo: Bool

    init(logs: LogBuffer, echo: Bool) {
        self.logs = logs
        self.echo = echo
    }

    static func start(fd: Int32, logs: LogBuffer, echo: Bool) async throws -> any Channel {
        try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(OutputReader(logs: logs, echo: echo))
                }
            }
            .takingOwnershipOfDescriptor(input: fd)
            .get()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        logs.append(buffer.readableBytesView)
        if echo { FileHandle.standardError.write(Data(buffer.readableBytesView)) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelEvent, case .inputClosed = event as! ChannelEvent {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}

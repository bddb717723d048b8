import Foundation
import NIOConcurrencyHelpers
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
public final class RuntimeProcess: Sendable {
    public struct Command: Sendable, Hashable {
        public var executable: String
        public var arguments: [String]
        public var environment: [String: String]
        public var workingDirectory: String

        public init(executable: String, arguments: [String] = [], environment: [String: String], workingDirectory: String) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.workingDirectory = workingDirectory
        }
    }

    /// How the process ended: an exit status, or the signal that killed it.
    public enum Exit: Sendable, Hashable, CustomStringConvertible {
        case status(Int32)
        case signal(Int32)
        case failedToStart(String)

        public var description: String {
            switch self {
            case .status(let code): "exit status \(code)"
            case .signal(let number): number == SIGKILL ? "signal: killed" : "signal: \(number)"
            case .failedToStart(let reason): "failed to start: \(reason)"
            }
        }
    }

    public enum Isolation: Sendable {
        case newProcessGroup
        case newSession
    }

    private let task: Task<Exit, Never>
    private let started: NIOLockedValueBox<pid_t?>

    /// `onStart` runs with the process id as soon as the process exists.
    public init(
        _ command: Command, logs: LogBuffer, echo: Bool = true, isolation: Isolation = .newProcessGroup,
        onStart: @escaping @Sendable (pid_t) -> Void = { _ in }
    ) {
        let started = NIOLockedValueBox<pid_t?>(nil)
        self.started = started
        task = Task {
            var options = PlatformOptions()
            switch isolation {
            case .newProcessGroup: options.processGroupID = 0
            case .newSession: options.createSession = true
            }
            // Cancellation (stop) kills the whole session: the runtime and its children.
            options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .milliseconds(200))]
            do {
                let result = try await run(
                    .path(FilePath(command.executable)),
                    arguments: Arguments(command.arguments),
                    // Raw entries are strdup'ed: each must carry its own NUL terminator.
                    environment: .custom(command.environment.map { Array("\($0.key)=\($0.value)\0".utf8) }),
                    workingDirectory: FilePath(command.workingDirectory),
                    platformOptions: options,
                    input: .none,
                    output: .sequence,
                    error: .combinedWithOutput
                ) { execution in
                    started.withLockedValue { $0 = execution.processIdentifier.value }
                    onStart(execution.processIdentifier.value)
                    for try await buffer in execution.standardOutput {
                        let bytes = buffer.withUnsafeBytes { Array($0) }
                        logs.append(bytes)
                        if echo { FileHandle.standardError.write(Data(bytes)) }
                    }
                    // Output closed: the runtime is gone or closed its streams; make sure the
                    // whole group is gone before the status is read.
                    try? execution.send(signal: .kill, toProcessGroup: true)
                }
                switch result.terminationStatus {
                case .exited(let code): return .status(code)
                case .signaled(let number): return .signal(number)
                }
            } catch {
                return .failedToStart("\(error)")
            }
        }
    }

    /// The process id once it started.
    public var pid: pid_t? { started.withLockedValue { $0 } }

    /// Waits for the process to end.
    public var exited: Exit {
        get async { await task.value }
    }

    /// Kills the process group and waits until it is gone.
    @discardableResult
    public func stop() async -> Exit {
        task.cancel()
        return await task.value
    }
}

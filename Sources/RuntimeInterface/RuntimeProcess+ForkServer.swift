import CShoalSystem
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ShoalProtocol

/// A runtime started by a fork server (the worker's Python fork server, docs/fork-server.md)
/// instead of a spawn: one request on a unix socket with the output pipe's descriptors, the
/// child's pid back, and later how it ended, on the same connection.
extension RuntimeProcess {
    /// Where to ask for the runtime, and the memory limit the child applies to itself before
    /// any function code runs.
    package struct ForkServer: Sendable, Hashable {
        package var socketPath: String
        package var memoryLimit: MemoryLimit?

        package init(socketPath: String, memoryLimit: MemoryLimit? = nil) {
            self.socketPath = socketPath
            self.memoryLimit = memoryLimit
        }
    }

    /// The request line: `{"argv", "env", "cwd", "cgroup"?, "dataLimit"?}`. Written with the
    /// hand-made `JSONWriter`: the request is on every cold start's critical path, and a first
    /// JSONEncoder use in a fresh process costs about a millisecond of type lookups
    /// (docs/performance-log.md, twenty-first round).
    static func requestLine(_ command: Command, memoryLimit: MemoryLimit?) -> [UInt8] {
        var writer = JSONWriter(capacity: 4096)
        writer.object { json in
            json.key("argv")
            json.array { list in
                for argument in [command.executable] + command.arguments { list.string(argument) }
            }
            json.key("env")
            json.object { variables in
                for (name, value) in command.environment {
                    variables.key(name)
                    variables.string(value)
                }
            }
            json.member("cwd", command.workingDirectory)
            json.member("cgroup", ifPresent: memoryLimit?.cgroup)
            json.member("dataLimit", ifPresent: memoryLimit.flatMap { $0.cgroup == nil ? $0.megabytes * 1024 * 1024 : nil })
        }
        return Array(writer.bytes) + [UInt8(ascii: "\n")]
    }

    /// One reply line: the pid, a refusal, or how the runtime ended.
    struct ForkReply: Decodable, Equatable {
        var pid: Int32?
        var error: String?
        var exit: Int32?
        var signal: Int32?
    }

    /// Sends the request with the output pipe's descriptors; the connection, or nil when no
    /// server took it (gone, full, or not there yet). Does not block.
    static func requestFork(_ command: Command, server: ForkServer, outputFD: Int32, errorFD: Int32) -> Int32? {
        let line = requestLine(command, memoryLimit: server.memoryLimit)
        let fds = [outputFD, errorFD]
        let socket = line.withUnsafeBytes { bytes in
            shoal_unix_send_with_fds(server.socketPath, bytes.baseAddress, bytes.count, fds, Int32(fds.count))
        }
        return socket >= 0 ? socket : nil
    }

    /// Follows a runtime the server was asked for on `socket`: its pid, then how it ended. Nil
    /// when the server did not start it (a refusal, or the server gone before it answered):
    /// the caller spawns it instead, on the same descriptors, which are closed here only once
    /// a child has them.
    static func awaitForked(
        _ socket: Int32, outputFD: Int32, errorFD: Int32, started: NIOLockedValueBox<pid_t?>, onStart: @Sendable (pid_t) -> Void
    ) async -> Exit? {
        let channel: NIOAsyncChannel<ByteBuffer, Never>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).withConnectedSocket(socket) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel(wrappingChannelSynchronously: channel) }
            }
        } catch {
            close(socket)
            return nil
        }
        return try? await channel.executeThenClose { inbound, _ -> Exit? in
            var replies = ReplyLines(inbound.makeAsyncIterator())
            guard let first = try? await replies.next(), let pid = first.pid, pid > 1 else { return nil }
            close(outputFD)
            close(errorFD)
            started.withLockedValue { $0 = pid }
            onStart(pid)
            // Cancellation (stop) kills the runtime's group; the server reaps it and kills what
            // is left of its session.
            let last = await withTaskCancellationHandler {
                try? await replies.next()
            } onCancel: {
                kill(-pid, SIGKILL)
            }
            if let code = last?.exit { return .status(code) }
            if let number = last?.signal { return .signal(number) }
            if !Task.isCancelled {
                // The server went away (it is restarted; the runtime, now an orphan, lives on):
                // watch the process itself until it ends or the instance stops.
                while Self.isAlive(pid), (try? await Task.sleep(for: .milliseconds(250))) != nil {}
                if !Task.isCancelled { return .unknown("the fork server that started it is gone") }
            }
            // Stopped: the whole group goes, and is waited for.
            kill(-pid, SIGKILL)
            let deadline = ContinuousClock.now + .seconds(1)
            while Self.isAlive(pid), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(2)) }
            return .signal(SIGKILL)
        }
    }

    /// Whether `pid` runs (a zombie, which only its reaper can clear, does not).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let state = stat.split(separator: ")").last?.split(separator: " ").first
        else { return false }
        return state != "Z" && state != "X"
    }

    /// The server's reply lines, decoded.
    struct ReplyLines {
        var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var buffer = ByteBuffer()

        init(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) {
            self.inbound = inbound
        }

        mutating func next() async throws -> ForkReply? {
            while true {
                if let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = buffer.readSlice(length: end - buffer.readerIndex + 1)!
                    return try JSONDecoder().decode(ForkReply.self, from: Data(line.readableBytesView.dropLast()))
                }
                guard var more = try await inbound.next() else { return nil }
                buffer.writeBuffer(&more)
            }
        }
    }
}

import ArgumentParser
import CShoalSystem
import Foundation
import Logging
import NIOCore
import NIOPosix
import ShoalExecutor

/// The one `shoal` executable. Subcommands are added as the pieces they start land.
@main
struct Shoal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoal",
        abstract: "An AWS Lambda execution-layer emulator that shards functions across worker processes.",
        subcommands: [
            UpCommand.self, GatewayCommand.self, WorkerCommand.self, RIECommand.self,
            CreateCommand.self, GetCommand.self, UpdateCommand.self, DeleteCommand.self, InvokeCommand.self, ListCommand.self, WorkersCommand.self,
            WarmCommand.self, PublishCommand.self, AliasCommand.self,
        ]
    )

    /// Runs every Swift task on NIO's event loops (`LoopGlobalExecutor`), so a request handler
    /// and the socket it answers on share a thread instead of hopping between the cooperative
    /// pool and an event loop (measured: small-call round trips about twice as fast; docs/performance-log.md,
    /// "The executor"). Safe because nothing in Shoal blocks a task's thread.
    /// `SHOAL_NIO_EXECUTOR=0` turns it off; `=nio` uses NIO's own takeover instead.
    static func main() async {
        // Before any thread exists: every `shoal` process starts under the default scheduling
        // policy, whatever its parent's thread ran under (`LoopScheduling`). Instances are
        // `shoal rie` processes, so they and the runtimes they start run under it too.
        _ = shoal_set_thread_scheduling(0, 0)
        // One level for every process of a fleet: children inherit the variable.
        let level = ProcessInfo.processInfo.environment["SHOAL_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return LazyMetadataLogHandler(handler)
        }
        switch ProcessInfo.processInfo.environment["SHOAL_NIO_EXECUTOR"] {
        case "0":
            break
        case "nio":  // NIO's own takeover, for comparison (docs/performance-log.md)
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        default:
            if !LoopGlobalExecutor.install() {
                NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            }
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

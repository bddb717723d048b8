import ArgumentParser
import ShoalRIE

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

    static func main() async {
        // `shoal rie` serves one invocation at a time: one event loop, as `shoal-rie`.
        let isRIE = CommandLine.arguments.dropFirst().first == RIECommand.configuration.commandName
        ProcessStart.prepare(eventLoops: isRIE ? 1 : nil)
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

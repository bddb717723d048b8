import ArgumentParser

/// The one `shoal` executable. Subcommands are added as the pieces they start land.
@main
struct Shoal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoal",
        abstract: "An AWS Lambda execution-layer emulator that shards functions across worker processes.",
        subcommands: [UpCommand.self, BenchCommand.self]
    )
}

import ArgumentParser
import Foundation
import ShoalProtocol

/// `shoal publish`: a version of a function from its `$LATEST`.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish", abstract: "Publish a version from $LATEST (the last version again when nothing changed).")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Function name.") var name: String
    @Option(help: "The version's description.") var description: String?

    func run() async throws {
        let version = try await client.session {
            try await $0.call(ClientAPI.PublishVersion.self, .init(functionName: name, description: description))
        }
        print("published \(name) version \(version.version)")
    }
}

/// `shoal alias`: create or move an alias (`--weight VERSION=W` splits invocations), list, or delete.
struct AliasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alias",
        abstract: "Point an alias at a version (creating it if needed), list a function's aliases, or delete one.",
        discussion: "shoal alias FUNCTION ALIAS VERSION [--weight V=W] | shoal alias FUNCTION | shoal alias FUNCTION ALIAS --delete")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Function name.") var function: String
    @Argument(help: "Alias name.") var alias: String?
    @Argument(help: "The version the alias points at.") var version: String?
    @Option(help: "VERSION=WEIGHT: that share of invocations (0 to 1) goes to VERSION.") var weight: String?
    @Flag(help: "Delete the alias.") var delete = false

    func validate() throws {
        if delete, alias == nil { throw ValidationError("--delete needs an alias name") }
        if weight != nil, version == nil { throw ValidationError("--weight needs the alias's version") }
        if let weight, weight.split(separator: "=").count != 2 || Double(weight.split(separator: "=").last ?? "") == nil {
            throw ValidationError("--weight takes VERSION=WEIGHT, e.g. 2=0.1")
        }
    }

    func run() async throws {
        guard let alias else {
            let aliases = try await client.session { try await $0.call(ClientAPI.ListAliases.self, .init(functionName: function)) }.aliases
            for alias in aliases {
                let split = alias.routingConfig?.additionalVersionWeights.map { " (\($0.value) to \($0.key))" }.joined() ?? ""
                print("\(alias.name)\t\(alias.functionVersion)\(split)")
            }
            return
        }
        if delete {
            _ = try await client.session { try await $0.call(ClientAPI.DeleteAlias.self, .init(functionName: function, name: alias)) }
            print("deleted alias \(alias)")
            return
        }
        guard let version else {
            ClientOptions.printJSON(
                try await client.session { try await $0.call(ClientAPI.GetAlias.self, .init(functionName: function, name: alias)) })
            return
        }
        let routing = weight.map { text -> ClientAPI.AliasRoutingConfig in
            let parts = text.split(separator: "=")
            return .init(additionalVersionWeights: [String(parts[0]): Double(parts[1]) ?? 0])
        }
        let params = ClientAPI.AliasParams(
            functionName: function, name: alias, functionVersion: version, routingConfig: routing ?? .init(additionalVersionWeights: [:]))
        let configuration = try await client.session { connection -> ClientAPI.AliasConfiguration in
            do {
                return try await connection.call(ClientAPI.UpdateAlias.self, params)
            } catch let error as RPCError where error.code == .resourceNotFound && error.message.hasPrefix("Cannot find alias") {
                return try await connection.call(ClientAPI.CreateAlias.self, params)
            }
        }
        ClientOptions.printJSON(configuration)
    }
}

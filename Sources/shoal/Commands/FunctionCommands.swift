import ArgumentParser
import Foundation
import ShoalProtocol

/// `shoal get`: one function's configuration.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show a function's configuration.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Function name.") var name: String

    func run() async throws {
        ClientOptions.printJSON(try await client.session { try await $0.call(ClientAPI.GetFunction.self, .init(functionName: name)) })
    }
}

/// `shoal delete`: a function and its warm instances.
struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a function.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Function name.") var name: String

    func run() async throws {
        _ = try await client.session { try await $0.call(ClientAPI.DeleteFunction.self, .init(functionName: name)) }
        print("deleted \(name)")
    }
}

/// `shoal update`: new code, new configuration, or both; prints the configuration after.
struct UpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Update a function's code (--zip) or configuration.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Function name.") var name: String
    @Option(help: "New code zip.") var zip: String?
    @Option(help: "Timeout in seconds.") var timeout: Int?
    @Option(help: "Memory in MB.") var memory: Int?
    @Option(help: "Handler, e.g. app.handler.") var handler: String?
    @Option(name: .customLong("env"), help: "KEY=VALUE environment variable (repeatable); replaces the function's whole environment.")
    var environment: [String] = []

    func validate() throws {
        guard zip != nil || timeout != nil || memory != nil || handler != nil || !environment.isEmpty else {
            throw ValidationError("nothing to update: give --zip, --timeout, --memory, --handler or --env")
        }
    }

    func run() async throws {
        let code = try zip.map(ClientOptions.readZip)
        let variables = try ClientOptions.environment(environment)
        let configuration = try await client.session { connection -> FunctionConfiguration in
            var latest: FunctionConfiguration?
            if let code {
                latest = try await connection.call(ClientAPI.UpdateFunctionCode.self, .init(functionName: name, zipFile: code.base64EncodedString()))
            }
            if timeout != nil || memory != nil || handler != nil || !variables.isEmpty {
                latest = try await connection.call(
                    ClientAPI.UpdateFunctionConfiguration.self,
                    .init(
                        functionName: name, handler: handler, timeout: timeout, memorySize: memory,
                        environment: variables.isEmpty ? nil : .init(variables: variables)
                    ))
            }
            return latest!
        }
        ClientOptions.printJSON(configuration)
    }
}

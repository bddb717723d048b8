import ArgumentParser
import Foundation
import ShoalProtocol

/// Where the terminal client finds the gateway.
struct ClientOptions: ParsableArguments {
    @Option(help: "The gateway's JSON-RPC address.") var address = "127.0.0.1:4570"

    func connect(methods: RPCMethodTable = RPCMethodTable()) async throws -> RPCConnection {
        let (host, port) = try GatewayOptions.hostPort(address)
        do {
            return try await RPCConnection.connect(host: host, port: port, methods: methods, connectTimeout: .seconds(5))
        } catch {
            throw CommandError(.unreachable, "no gateway at \(address) (\(error)); start one with `shoal up` or pass --address")
        }
    }

    /// Runs one client session, printing a JSON-RPC error the way a terminal user wants it.
    func session<T>(methods: RPCMethodTable = RPCMethodTable(), _ body: (RPCConnection) async throws -> T) async throws -> T {
        let connection = try await connect(methods: methods)
        defer { Task { await connection.close() } }
        do {
            return try await body(connection)
        } catch let error as RPCError {
            throw CommandError(.gateway, "\(error.data?.type ?? "Error"): \(error.message)")
        }
    }

    /// The bytes of the zip file at `path`.
    static func readZip(_ path: String) throws -> Data {
        guard let bytes = FileManager.default.contents(atPath: path) else { throw CommandError(.unreadable, "cannot read \(path)") }
        return bytes
    }

    /// `--env KEY=VALUE` pairs as variables.
    static func environment(_ pairs: [String]) throws -> [String: String] {
        var variables: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "=") else { throw ValidationError("--env takes KEY=VALUE, got \(pair)") }
            variables[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return variables
    }

    static func printJSON(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
    }
}

/// `shoal create`: a function from a zip file.
struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a function from a zip file.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Function name.") var name: String
    @Option(help: "Runtime, e.g. python3.12, nodejs20.x, provided.al2023.") var runtime: String
    @Option(help: "Handler, e.g. app.handler.") var handler: String
    @Option(help: "The code zip.") var zip: String
    @Option(help: "Timeout in seconds.") var timeout: Int?
    @Option(help: "Memory in MB.") var memory: Int?
    @Option(name: .customLong("env"), help: "KEY=VALUE environment variable (repeatable).") var environment: [String] = []

    func run() async throws {
        let bytes = try ClientOptions.readZip(zip)
        let variables = try ClientOptions.environment(environment)
        let params = ClientAPI.CreateFunction.Params(
            functionName: name, runtime: runtime, handler: handler, code: .init(zipFile: bytes.base64EncodedString()),
            timeout: timeout, memorySize: memory, environment: variables.isEmpty ? nil : .init(variables: variables)
        )
        ClientOptions.printJSON(try await client.session { try await $0.call(ClientAPI.CreateFunction.self, params) })
    }
}

/// `shoal invoke`: one invocation, the response on stdout.
struct InvokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "invoke", abstract: "Invoke a function; the response goes to stdout.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Function name.") var name: String
    @Option(help: "The event, as JSON text.") var payload = "{}"
    @Flag(help: "Stream the response as the function writes it.") var stream = false
    @Flag(help: "Print the invocation's log tail to stderr.") var tail = false
    @Option(name: .customLong("type"), help: "RequestResponse, Event or DryRun.") var invocationType = "RequestResponse"
    @Option(help: "A version or an alias (default: $LATEST).") var qualifier: String?

    func run() async throws {
        let params = ClientAPI.InvokeParams(
            functionName: qualifier.map { "\(name):\($0)" } ?? name, payload: Data(payload.utf8).base64EncodedString(),
            invocationType: invocationType,
            logType: tail ? "Tail" : nil
        )
        if stream {
            var methods = RPCMethodTable()
            methods.on(ClientAPI.InvokeChunk.self) { chunk, _ in
                FileHandle.standardOutput.write(Data(base64Encoded: chunk.payload) ?? Data())
            }
            let result = try await client.session(methods: methods) { try await $0.call(ClientAPI.InvokeStream.self, params) }
            if tail, let log = result.logResult.flatMap({ Data(base64Encoded: $0) }) { FileHandle.standardError.write(log) }
            if let error = result.functionError { throw CommandError(.function, "\(error): \(result.errorDetails ?? "")") }
            return
        }
        let result = try await client.session { try await $0.call(ClientAPI.Invoke.self, params) }
        if tail, let log = result.logResult.flatMap({ Data(base64Encoded: $0) }) { FileHandle.standardError.write(log) }
        let body = Data(base64Encoded: result.payload) ?? Data()
        if !body.isEmpty { print(String(decoding: body, as: UTF8.self)) } else { print("status \(result.statusCode)") }
        if let error = result.functionError { throw CommandError(.function, error) }
    }
}

/// `shoal ls`: the functions.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List functions.")
    @OptionGroup var client: ClientOptions

    func run() async throws {
        var marker: String?
        try await client.session { connection in
            repeat {
                let page = try await connection.call(ClientAPI.ListFunctions.self, .init(marker: marker))
                for function in page.functions {
                    print("\(function.functionName)\t\(function.runtime)\t\(function.handler)\t\(function.timeout)s\t\(function.memorySize)MB")
                }
                marker = page.nextMarker
            } while marker != nil
        }
    }
}

/// `shoal workers`: the fleet and its state.
struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers", abstract: "List workers: state, functions, warm instances, calls in flight.")
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let workers = try await client.session { try await $0.call(ClientAPI.WorkersList.self, Empty()) }.workers
        for worker in workers {
            print(
                "\(worker.id)\t\(worker.address)\t\(worker.state)\tpid \(worker.pid.map(String.init) ?? "-")\tfunctions \(worker.functions)\twarm \(worker.warmInstances)\tin-flight \(worker.inFlight)"
            )
        }
    }
}

/// `shoal warm`: every warm instance in the fleet.
struct WarmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "warm", abstract: "List warm instances across all workers.")
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let instances = try await client.session { try await $0.call(ClientAPI.WarmList.self, Empty()) }.instances
        for instance in instances {
            print(
                "\(instance.functionName)\t\(instance.worker)\t\(instance.instanceId)\t\(instance.runtime)\t\(instance.busy ? "busy" : "idle")\t\(String(format: "%.1f", instance.lastUsedSecsAgo))s ago"
            )
        }
    }
}

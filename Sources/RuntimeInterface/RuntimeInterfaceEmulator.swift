import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ShoalLambda
import ShoalProtocol

/// `shoal rie`: fronts one function instance. It serves Lambda's invoke endpoint on its own
/// port and the Lambda Runtime API on a second one, whose address it gives the runtime as
/// `AWS_LAMBDA_RUNTIME_API`.
package final class RuntimeInterfaceEmulator: Sendable {
    package static let invokePath = "/2015-03-31/functions/function/invocations"
    static let runtimePrefix = "/2018-06-01/runtime"

    package let broker: InvocationBroker
    package let logs: LogBuffer
    package let invokePort: Int
    package let runtimeAPIPort: Int
    private let invokeServer: NIOAsyncChannel<HTTPConnection, Never>
    private let runtimeServer: NIOAsyncChannel<HTTPConnection, Never>

    /// Binds both ports (0 picks free ones). The runtime starts lazily, on the first invoke,
    /// or at once with `initAtStart` (before the invoke port is bound: its init overlaps the
    /// rest of the start); forked by the fork server at `forkServer` (a unix socket) if one is
    /// given and answers, else spawned.
    package init(
        host: String = "127.0.0.1",
        invokePort: Int,
        runtimeAPIPort: Int = 0,
        configuration: InvocationBroker.Configuration,
        runtime: RuntimeProcess.Command,
        logs: LogBuffer = LogBuffer(),
        echoRuntimeOutput: Bool = true,
        memoryLimit: MemoryLimit? = nil,
        forkServer: String? = nil,
        initAtStart: Bool = false
    ) async throws {
        let runtimeServer = try await HTTPExchange.bind(host: "127.0.0.1", port: runtimeAPIPort)
        let apiPort = runtimeServer.channel.localAddress?.port ?? 0
        var command = runtime
        command.environment["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(apiPort)"
        let broker = InvocationBroker(configuration: configuration, logs: logs) { [command] in
            RuntimeProcess(
                command, logs: logs, echo: echoRuntimeOutput, isolation: .newProcessGroup,
                forkServer: forkServer.map { RuntimeProcess.ForkServer(socketPath: $0, memoryLimit: memoryLimit) }
            ) { pid in
                memoryLimit?.apply(to: pid)
            }
        }
        if initAtStart { await broker.startRuntimeEarly() }
        let invokeServer: NIOAsyncChannel<HTTPConnection, Never>
        do {
            invokeServer = try await HTTPExchange.bind(host: host, port: invokePort)
        } catch {
            await broker.stopRuntime()
            try? await runtimeServer.channel.close()
            throw error
        }
        self.runtimeServer = runtimeServer
        self.invokeServer = invokeServer
        self.runtimeAPIPort = apiPort
        self.invokePort = invokeServer.channel.localAddress?.port ?? 0
        self.logs = logs
        self.broker = broker
    }

    /// Serves both ports until `stop()`.
    package func run() async throws {
        let broker = broker
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await HTTPExchange.serve(self.invokeServer) { head, parts, outbound in
                    try await Self.handleInvoke(head, &parts, outbound, broker: broker)
                }
            }
            group.addTask {
                try await HTTPExchange.serve(self.runtimeServer) { head, parts, outbound in
                    try await RuntimeAPIHandler.handle(head, &parts, outbound, broker: broker)
                }
            }
            try await group.waitForAll()
        }
    }

    /// Stops the runtime and closes both ports.
    package func stop() async {
        await broker.stopRuntime()
        try? await invokeServer.channel.close()
        try? await runtimeServer.channel.close()
    }

    // MARK: The invoke endpoint

    static func handleInvoke(
        _ head: HTTPRequestHead, _ parts: inout HTTPInbound.AsyncIterator, _ outbound: HTTPOutbound, broker: InvocationBroker
    ) async throws {
        let limit = broker.configuration.maximumPayloadBytes
        guard head.method == .POST, head.uri.split(separator: "?").first.map(String.init) == invokePath else {
            _ = try await HTTPExchange.readBody(&parts, limit: limit)
            try await HTTPExchange.respond(
                outbound, status: 404,
                body: InvocationBroker.errorDocument(
                    type: "ResourceNotFound", message: "only POST \(invokePath) is served here"))
            return
        }
        guard let payload = try await HTTPExchange.readBody(&parts, limit: limit).bytes else {
            try await HTTPExchange.respond(
                outbound, status: 413,
                body: InvocationBroker.errorDocument(
                    type: "RequestEntityTooLarge", message: "Request must be smaller than \(limit) bytes for the invoke operation"))
            return
        }
        // The runtime gets the client context as JSON: as the worker passes it on, or from
        // the base64 of AWS's Invoke API.
        var clientContext = head.headers.first(name: ClientContextHeader.name)
        if clientContext == nil, let encoded = head.headers.first(name: "X-Amz-Client-Context") {
            guard let value = ClientContextHeader.value(base64: encoded) else {
                try await HTTPExchange.respond(
                    outbound, status: 400,
                    body: InvocationBroker.errorDocument(
                        type: "InvalidRequestContentException", message: "Client context must be a valid Base64-encoded JSON object."))
                return
            }
            clientContext = value
        }
        let events: AsyncStream<InvocationBroker.ResponseEvent>
        do {
            events = try await broker.invoke(
                payload: payload,
                clientContext: clientContext,
                cognitoIdentity: head.headers.first(name: "Lambda-Runtime-Cognito-Identity"),
                wantsLogTail: head.headers.first(name: "X-Amz-Log-Type")?.lowercased() == "tail"
            )
        } catch .busy(let inFlight) {
            try await HTTPExchange.respond(
                outbound, status: 429, headers: ["Content-Type": "application/json"],
                body: InvocationBroker.errorDocument(
                    type: "Runtime.ConcurrentInvocation",
                    message: "this instance is running invocation \(inFlight); an instance runs one invocation at a time"))
            return
        } catch .tooLarge(let size) {
            try await HTTPExchange.respond(
                outbound, status: 413,
                body: InvocationBroker.errorDocument(
                    type: "RequestEntityTooLarge", message: "payload of \(size) bytes exceeds \(limit)"))
            return
        }
        for await event in events {
            switch event {
            case .head(let status, let headers):
                var response = HTTPResponseHead(version: .http1_1, status: .init(statusCode: status))
                for (name, value) in headers { response.headers.add(name: name, value: value) }
                try await outbound.write(.head(response))
            case .body(let bytes):
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
            case .end(let trailers):
                var fields = HTTPHeaders()
                for (name, value) in trailers { fields.add(name: name, value: value) }
                try await outbound.write(.end(trailers.isEmpty ? nil : fields))
            }
        }
    }
}

import Foundation
import NIOConcurrencyHelpers
import ShoalTestSupport
import Testing

@testable import ShoalProtocol

/// Requests served on the event loop (`register(_:onLoop:_:)`) and calls answered through a
/// callback (`call(_:_:timeout:then:)`): a relay server in front of a backend server, as the
/// gateway stands in front of a worker, all over loopback TCP.
@Suite struct OnLoopServingTests {
    /// What the relay does with a request, as the test asks.
    enum Relay: RPCMethod {
        struct Params: Codable, Sendable {
            var mode: String
            var text = ""
            var timeoutMilliseconds: Int?
        }
        typealias Result = String
        static let name = "test.relay"
    }

    /// A backend serving the usual test methods, and a relay whose `test.relay` is served on
    /// the loop (modes: `echo` and `hang` call the backend, `decline` leaves the request to the
    /// async handler, `fallBack` hands it there after taking it, `twice` answers two times),
    /// while its async handler answers `handler: TEXT` (for `fallBackThenOnCancel`, after a
    /// minute or when cancelled, noted in `relayLog`).
    private struct Servers {
        let backend: RPCServer
        let toBackend: RPCConnection
        let relay: RPCServer
        let client: RPCConnection
        let backendLog: ServerLog
        let relayLog: ServerLog

        static func start() async throws -> Servers {
            let backendLog = ServerLog()
            let relayLog = ServerLog()
            let backend = try await RPCServer.bind(port: 0, methods: testMethods(log: backendLog))
            let toBackend = try await RPCConnection.connect(host: "127.0.0.1", port: backend.port)
            var methods = RPCMethodTable()
            methods.register(
                Relay.self,
                onLoop: { params, reply in
                    switch params.mode {
                    case "decline":
                        return false
                    case "fallBack":
                        reply.fallBack()
                    case "fallBackThenOnCancel":
                        // As a relay whose call failed at once: handed back before it registered
                        // what would cancel its own call, which must not displace the task's.
                        reply.fallBack()
                        reply.onCancel {}
                    case "twice":
                        reply.succeed("first")
                        reply.succeed("second")
                        reply.fail(RPCError(.internalError, "third"))
                    case "echo":
                        toBackend.call(Echo.self, .init(text: params.text)) { result in
                            switch result {
                            case .success(let answer): reply.succeed("backend: \(answer.text)")
                            case .failure(let error): reply.fail(error)
                            }
                        }
                    case "hang":
                        let timeout = params.timeoutMilliseconds.map { Duration.milliseconds($0) }
                        let id = toBackend.call(Hang.self, .init(tag: params.text), timeout: timeout) { result in
                            switch result {
                            case .success: reply.succeed("hang answered")
                            case .failure(let error): reply.fail(error)
                            }
                        }
                        reply.onCancel { toBackend.abandon(id, RPCError(.cancelled, "relayed call cancelled")) }
                    default:
                        Issue.record("unknown mode \(params.mode)")
                        return false
                    }
                    return true
                }
            ) { params, _ in
                if params.mode == "fallBackThenOnCancel" {
                    relayLog.append("handler started \(params.text)")
                    do {
                        try await Task.sleep(for: .seconds(60))
                    } catch {
                        relayLog.append("handler cancelled \(params.text)")
                        throw error
                    }
                }
                return "handler: \(params.text)"
            }
            let relay = try await RPCServer.bind(port: 0, methods: methods)
            let client = try await RPCConnection.connect(host: "127.0.0.1", port: relay.port)
            return Servers(backend: backend, toBackend: toBackend, relay: relay, client: client, backendLog: backendLog, relayLog: relayLog)
        }

        func stop() async {
            await client.close()
            await relay.close()
            await toBackend.close()
            await backend.close()
        }
    }

    @Test func anOnLoopHandlerRelaysDeclinesFallsBackAndAnswersOnce() async throws {
        let servers = try await Servers.start()
        #expect(try await servers.client.call(Relay.self, .init(mode: "echo", text: "hi")) == "backend: hi")
        #expect(try await servers.client.call(Relay.self, .init(mode: "decline", text: "d")) == "handler: d")
        #expect(try await servers.client.call(Relay.self, .init(mode: "fallBack", text: "f")) == "handler: f")
        #expect(try await servers.client.call(Relay.self, .init(mode: "twice")) == "first")
        // Only one answer went out: on a raw socket, the frame after it answers the next request.
        let raw = try await RawFrameClient.connect(port: servers.relay.port)
        try await raw.sendFrame(#"{"jsonrpc":"2.0","id":1,"method":"test.relay","params":{"mode":"twice","text":""}}"#)
        try await raw.sendFrame(#"{"jsonrpc":"2.0","id":2,"method":"test.relay","params":{"mode":"echo","text":"next"}}"#)
        let answers = try #require(try await raw.readFrames(2)) as? [[String: Any]]
        #expect(answers?.map { $0["id"] as? Int } == [1, 2])
        #expect(answers?.map { $0["result"] as? String } == ["first", "backend: next"])
        await raw.close()
        // Many at once over the one relay connection, answered in any order, each its own.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<500 {
                group.addTask {
                    let answer = try await servers.client.call(
                        Relay.self, .init(mode: index.isMultiple(of: 5) ? "fallBack" : "echo", text: "\(index)"))
                    #expect(answer == (index.isMultiple(of: 5) ? "handler: \(index)" : "backend: \(index)"))
                }
            }
            try await group.waitForAll()
        }
        await servers.stop()
    }

    @Test func aCallbackCallTimesOutAndTellsThePeerToCancel() async throws {
        let servers = try await Servers.start()
        let error = await #expect(throws: RPCError.self) {
            try await servers.client.call(Relay.self, .init(mode: "hang", text: "t1", timeoutMilliseconds: 200))
        }
        #expect(error?.code == .timedOut)
        #expect(await eventually { servers.backendLog.entries.contains("cancelled t1") })
        await servers.stop()
    }

    @Test func cancellingARelayedRequestCancelsTheCallBehindIt() async throws {
        let servers = try await Servers.start()
        let call = Task { try await servers.client.call(Relay.self, .init(mode: "hang", text: "c1")) }
        #expect(await eventually { servers.backendLog.entries.contains("started c1") })
        call.cancel()
        let result = await call.result
        #expect(throws: RPCError(.cancelled, "call cancelled by the caller")) { try result.get() }
        // The client's `$/cancel` reached the relay's onCancel, which abandoned its own call.
        #expect(await eventually { servers.backendLog.entries.contains("cancelled c1") })
        // A client that goes away does the same for what it left in flight.
        let orphan = Task { try await servers.client.call(Relay.self, .init(mode: "hang", text: "c2")) }
        #expect(await eventually { servers.backendLog.entries.contains("started c2") })
        await servers.client.close()
        _ = await orphan.result
        #expect(await eventually { servers.backendLog.entries.contains("cancelled c2") })
        await servers.stop()
    }

    @Test func aRequestHandedBackToItsTaskIsCancelledThroughTheTask() async throws {
        let servers = try await Servers.start()
        let call = Task { try await servers.client.call(Relay.self, .init(mode: "fallBackThenOnCancel", text: "f1")) }
        #expect(await eventually { servers.relayLog.entries.contains("handler started f1") })
        call.cancel()
        _ = await call.result
        #expect(await eventually { servers.relayLog.entries.contains("handler cancelled f1") })
        await servers.stop()
    }

    @Test func aCallbackCallLearnsWhetherItLeftBeforeTheConnectionClosed() async throws {
        let servers = try await Servers.start()
        let inFlight = Task { try await servers.client.call(Relay.self, .init(mode: "hang", text: "p1")) }
        #expect(await eventually { servers.backendLog.entries.contains("started p1") })
        await servers.backend.close()
        let error = await #expect(throws: RPCError.self) { try await inFlight.value }
        #expect(error?.code == .connectionClosed)
        #expect(await eventually { servers.toBackend.isClosed })
        let late = await #expect(throws: RPCError.self) {
            try await servers.client.call(Relay.self, .init(mode: "echo", text: "late"))
        }
        #expect(late?.code == .notSent)
        await servers.stop()
    }
}

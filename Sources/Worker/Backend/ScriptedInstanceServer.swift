import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ShoalProtocol

/// What scripted instances did, shared by every instance of a backend: which invocations ran
/// (by tag), how many overlapped, how requests spread over connections. Tests read it to prove
/// what happened on the far side of the socket.
package final class InstanceLedger: Sendable {
    private struct State {
        var executions: [String] = []
        var current: [String: Int] = [:]
        var peakPerInstance: [String: Int] = [:]
        var currentTotal = 0
        var peakTotal = 0
        var requestsPerConnection: [ObjectIdentifier: Int] = [:]
        var connectionsAccepted = 0
    }
    private let state = NIOLockedValueBox(State())

    package init() {}

    func began(_ instance: String, tag: String) {
        state.withLockedValue { state in
            state.executions.append(tag)
            state.current[instance, default: 0] += 1
            state.peakPerInstance[instance] = max(state.peakPerInstance[instance] ?? 0, state.current[instance]!)
            state.currentTotal += 1
            state.peakTotal = max(state.peakTotal, state.currentTotal)
        }
    }

    func request(on connection: ObjectIdentifier) {
        state.withLockedValue { $0.requestsPerConnection[connection, default: 0] += 1 }
    }

    func accepted() {
        state.withLockedValue { $0.connectionsAccepted += 1 }
    }

    /// TCP connections the instances accepted, probes included.
    package var connectionsAccepted: Int { state.withLockedValue { $0.connectionsAccepted } }

    /// How many requests each connection that carried any carried.
    package var requestsPerConnection: [Int] { state.withLockedValue { Array($0.requestsPerConnection.values) } }

    func ended(_ instance: String) {
        state.withLockedValue { state in
            state.current[instance, default: 0] -= 1
            state.currentTotal -= 1
        }
    }

    /// The tags of the invocations that reached a handler, in arrival order.
    package var executions: [String] { state.withLockedValue { $0.executions } }
    /// Most invocations in flight at once, over all instances.
    package var peakTotal: Int { state.withLockedValue { $0.peakTotal } }
    /// Most invocations in flight at once on any single instance.
    package var peakPerInstance: Int { state.withLockedValue { $0.peakPerInstance.values.max() ?? 0 } }
}

/// A real HTTP listener on loopback that serves the Lambda invoke path the way a runtime
/// interface emulator does, with no runtime behind it: the `scripted` backend's instance, for
/// tests and for measuring the worker's own overhead. The JSON payload scripts it:
/// `{"tag": "...", "sleepMs": N, "chunks": N, "intervalMs": N, "crash": true, "status": N}`
/// (`crash` closes the connection after reading the request: a handler that died mid-call).
/// Anything else, JSON or not, is echoed back.
package final class ScriptedInstanceServer: Sendable {
    let channel: any Channel
    /// Accepted connections, so that stopping the instance drops them as a dying process would.
    private let connections: NIOLockedValueBox<[ObjectIdentifier: any Channel]>
    package let instanceID: String
    package var port: Int { channel.localAddress!.port! }

    private init(channel: any Channel, connections: NIOLockedValueBox<[ObjectIdentifier: any Channel]>, instanceID: String) {
        self.channel = channel
        self.connections = connections
        self.instanceID = instanceID
    }

    package static func start(instanceID: String, ledger: InstanceLedger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> ScriptedInstanceServer
    {
        let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    ledger.accepted()
                    let key = ObjectIdentifier(channel)
                    connections.withLockedValue { $0[key] = channel }
                    channel.closeFuture.whenComplete { _ in _ = connections.withLockedValue { $0.removeValue(forKey: key) } }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(InvokeHandler(instanceID: instanceID, ledger: ledger))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return ScriptedInstanceServer(channel: channel, connections: connections, instanceID: instanceID)
    }

    /// Stops listening and drops every connection.
    package func stop() async {
        try? await channel.close()
        await dropConnections()
    }

    /// Closes the accepted connections but keeps listening: an instance that drops its idle
    /// kept-alive connections and lives on.
    package func dropConnections() async {
        for connection in connections.withLockedValue({ Array($0.values) }) {
            try? await connection.close()
        }
    }
}

/// The optional script in a scripted instance's payload.
package struct InstanceScript: Codable, Sendable {
    package var tag: String?
    package var sleepMs: Int?
    package var chunks: Int?
    package var intervalMs: Int?
    /// Pads each streamed chunk to this many bytes (for flow-control tests and benchmarks).
    package var chunkBytes: Int?
    package var crash: Bool?
    package var status: Int?
}

private final class InvokeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let instanceID: String
    let ledger: InstanceLedger
    private var body = ByteBuffer()

    init(instanceID: String, ledger: InstanceLedger) {
        self.instanceID = instanceID
        self.ledger = ledger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            handle(context: context)
        }
    }

    private func handle(context: ChannelHandlerContext) {
        ledger.request(on: ObjectIdentifier(context.channel))
        let payload = Data(body.readableBytesView)
        let script = (try? JSONDecoder().decode(InstanceScript.self, from: payload)) ?? InstanceScript()
        ledger.began(instanceID, tag: script.tag ?? "untagged")
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        if script.crash == true {
            ledger.ended(instanceID)
            context.close(promise: nil)
            return
        }
        loop.scheduleTask(in: .milliseconds(Int64(script.sleepMs ?? 0))) {
            let (handler, context) = bound.value
            if let chunks = script.chunks {
                handler.stream(
                    context: context, remaining: chunks, index: 0, interval: .milliseconds(Int64(script.intervalMs ?? 0)),
                    padTo: script.chunkBytes ?? 0)
            } else {
                handler.respond(context: context, status: script.status ?? 200, body: payload)
            }
        }
    }

    private func respond(context: ChannelHandlerContext, status: Int, body: Data) {
        var head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: status))
        head.headers.add(name: "Content-Length", value: "\(body.count)")
        head.headers.add(name: "X-Shoal-Instance", value: instanceID)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        ledger.ended(instanceID)
    }

    /// Writes chunk `index`, then the next once this one reached the socket and `interval`
    /// passed: a reader that falls behind holds the instance back, as TCP does a real one.
    private func stream(context: ChannelHandlerContext, remaining: Int, index: Int, interval: TimeAmount, padTo: Int) {
        if index == 0 {
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Transfer-Encoding", value: "chunked")
            context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
        }
        guard index < remaining else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            ledger.ended(instanceID)
            return
        }
        // Each chunk says when it was written (ms since 1970), so a reader can tell how early it arrived.
        var stamp = "chunk \(index) at \(Int64(Date().timeIntervalSince1970 * 1000))\n"
        if stamp.utf8.count < padTo { stamp = String(repeating: ".", count: padTo - stamp.utf8.count) + stamp }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: stamp))))).whenSuccess {
            loop.assumeIsolated().scheduleTask(in: interval) {
                let (handler, context) = bound.value
                handler.stream(context: context, remaining: remaining, index: index + 1, interval: interval, padTo: padTo)
            }
        }
    }
}

import NIOConcurrencyHelpers
import ShoalTestSupport

@testable import ShoalProtocol

/// Echoes its params back, optionally after a delay.
enum Echo: RPCMethod {
    struct Params: Codable, Sendable, Equatable {
        var text: String
        var delayMicroseconds: Int?
    }
    typealias Result = Params
    static let name = "test.echo"
}

/// Answers with `text` repeated `times` times: a small request with a large answer.
enum Repeat: RPCMethod {
    struct Params: Codable, Sendable {
        var text: String
        var times: Int
    }
    typealias Result = String
    static let name = "test.repeat"
}

/// Sleeps until cancelled (or a minute passes) and records that it was cancelled.
enum Hang: RPCMethod {
    struct Params: Codable, Sendable { var tag: String }
    typealias Result = Empty
    static let name = "test.hang"
}

/// Sends `count` chunk notifications back on the caller's connection, then answers `count`.
enum Stream: RPCMethod {
    struct Params: Codable, Sendable { var count: Int }
    struct Result: Codable, Sendable { var sent: Int }
    static let name = "test.stream"
}

enum Chunk: RPCNotification {
    struct Params: Codable, Sendable { var seq: Int }
    static let name = "test.chunk"
}

/// Thread-safe record of what the test server saw.
final class ServerLog: Sendable {
    private let box = NIOLockedValueBox<[String]>([])
    func append(_ entry: String) { box.withLockedValue { $0.append(entry) } }
    var entries: [String] { box.withLockedValue { $0 } }
}

/// The method table every connection test serves.
func testMethods(log: ServerLog = ServerLog()) -> RPCMethodTable {
    var methods = RPCMethodTable()
    methods.register(Echo.self) { params, _ in
        if let delay = params.delayMicroseconds, delay > 0 {
            try await Task.sleep(for: .microseconds(delay))
        }
        return params
    }
    methods.register(Repeat.self) { params, _ in String(repeating: params.text, count: params.times) }
    methods.register(Hang.self) { params, _ in
        log.append("started \(params.tag)")
        do {
            try await Task.sleep(for: .seconds(60))
        } catch {
            log.append("cancelled \(params.tag)")
            throw error
        }
        return Empty()
    }
    methods.register(Stream.self) { params, context in
        for seq in 0..<params.count {
            try await context.connection.notify(Chunk.self, .init(seq: seq))
        }
        return .init(sent: params.count)
    }
    methods.on(Chunk.self) { params, _ in log.append("chunk \(params.seq)") }
    return methods
}

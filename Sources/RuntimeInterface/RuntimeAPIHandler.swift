import Foundation
import NIOCore
import NIOHTTP1

/// The Lambda Runtime API (2018-06-01) as a runtime sees it, backed by the broker.
enum RuntimeAPIHandler {
    /// The routes below `/2018-06-01/runtime/`.
    enum Route: Equatable {
        case next
        case response(String)
        case error(String)
        case initError, unknown

        init(method: HTTPMethod, segments: [String]) {
            switch (method, segments.count) {
            case (.GET, 2) where segments == ["invocation", "next"]: self = .next
            case (.POST, 3) where segments[0] == "invocation" && segments[2] == "response": self = .response(segments[1])
            case (.POST, 3) where segments[0] == "invocation" && segments[2] == "error": self = .error(segments[1])
            case (.POST, 2) where segments == ["init", "error"]: self = .initError
            default: self = .unknown
            }
        }
    }

    static func handle(
        _ head: HTTPRequestHead, _ parts: inout HTTPInbound.AsyncIterator, _ outbound: HTTPOutbound, broker: InvocationBroker
    ) async throws {
        let limit = broker.configuration.maximumPayloadBytes
        let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
        let segments = path.split(separator: "/").map(String.init)
        // ["2018-06-01", "runtime", "invocation", "next"] and friends.
        guard segments.count >= 3, segments[0] == "2018-06-01", segments[1] == "runtime" else {
            _ = try await HTTPExchange.readBody(&parts, limit: limit)
            try await HTTPExchange.respond(outbound, status: 404, body: InvocationBroker.errorDocument(type: "NotFound", message: path))
            return
        }
        switch Route(method: head.method, segments: Array(segments.dropFirst(2))) {
        case .next:
            _ = try await HTTPExchange.readBody(&parts, limit: limit)
            guard let invocation = await broker.next() else {
                // The runtime is being stopped. AWS's Runtime API never answers `next` then (the
                // runtime is killed while it waits), so a runtime that would take any answer for
                // an event runs no handler: hold it, and only a runtime still alive after the
                // stop's grace gets the spec's 500 ("non-recoverable, exit promptly").
                try? await Task.sleep(for: .seconds(5))
                try await HTTPExchange.respond(
                    outbound, status: 500,
                    body: InvocationBroker.errorDocument(
                        type: "Runtime.ExitError", message: "the execution environment is shutting down"), keepAlive: false)
                return
            }
            var headers = [
                "Lambda-Runtime-Aws-Request-Id": invocation.requestID,
                "Lambda-Runtime-Deadline-Ms": String(Int64(invocation.deadline.timeIntervalSince1970 * 1000)),
                "Lambda-Runtime-Invoked-Function-Arn": invocation.functionARN,
                "Lambda-Runtime-Trace-Id": invocation.traceID,
                "Content-Type": "application/json",
            ]
            if let clientContext = invocation.clientContext { headers["Lambda-Runtime-Client-Context"] = clientContext }
            if let identity = invocation.cognitoIdentity { headers["Lambda-Runtime-Cognito-Identity"] = identity }
            try await HTTPExchange.respond(outbound, status: 200, headers: headers, body: invocation.payload)

        case .response(let id):
            if head.headers.first(name: "Lambda-Runtime-Function-Response-Mode")?.lowercased() == "streaming" {
                try await relayStream(id: id, contentType: head.headers.first(name: "Content-Type"), &parts, outbound, broker: broker)
                return
            }
            let outcome: InvocationBroker.APIOutcome
            switch try await HTTPExchange.readBody(&parts, limit: limit) {
            case .complete(let body): outcome = await broker.respond(id, body: body)
            case .tooLarge(let size): outcome = await broker.respondTooLarge(id, size: size)
            }
            try await answer(outbound, outcome)

        case .error(let id):
            let body = try await HTTPExchange.readBody(&parts, limit: limit).bytes ?? []
            let outcome = await broker.fail(id, errorType: head.headers.first(name: "Lambda-Runtime-Function-Error-Type"), body: body)
            try await answer(outbound, outcome)

        case .initError:
            let body = try await HTTPExchange.readBody(&parts, limit: limit).bytes ?? []
            let outcome = await broker.initFailed(errorType: head.headers.first(name: "Lambda-Runtime-Function-Error-Type"), body: body)
            try await answer(outbound, outcome)

        case .unknown:
            _ = try await HTTPExchange.readBody(&parts, limit: limit)
            try await HTTPExchange.respond(
                outbound, status: 404, body: InvocationBroker.errorDocument(type: "NotFound", message: "\(head.method) \(path)"))
        }
    }

    /// A streamed response: each body chunk goes to the invoke caller as it arrives.
    private static func relayStream(
        id: String, contentType: String?, _ parts: inout HTTPInbound.AsyncIterator, _ outbound: HTTPOutbound, broker: InvocationBroker
    ) async throws {
        let outcome = await broker.beginStreaming(id, contentType: contentType)
        var trailers: HTTPHeaders?
        while let part = try await parts.next() {
            switch part {
            case .head: continue
            case .body(let buffer):
                if outcome == .accepted { await broker.streamChunk(id, Array(buffer.readableBytesView)) }
            case .end(let fields):
                trailers = fields
            }
            if case .end = part { break }
        }
        if outcome == .accepted {
            await broker.endStreaming(
                id, errorType: trailers?.first(name: "Lambda-Runtime-Function-Error-Type"),
                errorBody: trailers?.first(name: "Lambda-Runtime-Function-Error-Body")
            )
        }
        try await answer(outbound, outcome)
    }

    private static func answer(_ outbound: HTTPOutbound, _ outcome: InvocationBroker.APIOutcome) async throws {
        try await HTTPExchange.respond(
            outbound, status: outcome.status, headers: ["Content-Type": "application/json"], body: Array(outcome.body.utf8))
    }
}

import Foundation
import ShoalProtocol
import ShoalTestSupport
import Testing

@testable import ShoalWorker

/// Stopping an instance never runs its handler again: the RIE does not answer the runtime's
/// `next` while it stops it (as AWS's Runtime API), and the bundled loops exit on any answer
/// that is not an event.
@Suite(.serialized) struct GracefulStopTests {
    static let python = """
        import os
        def handler(event, context):
            with open(os.environ["MARKS"], "a") as f:
                f.write("%s %s\\n" % (context.aws_request_id, event))
            return "ok"
        """

    static let node = """
        const fs = require("fs");
        exports.handler = async (event, context) => {
          fs.appendFileSync(process.env.MARKS, `${context.awsRequestId} ${JSON.stringify(event)}\\n`);
          return "ok";
        };
        """

    /// Ten shutdowns for each bundled loop, each with a warm instance that ran once: the
    /// handler's file holds exactly that one run every time.
    @Test(arguments: [("python3.11", "app.py", python), ("nodejs20.x", "app.js", node)])
    func twentyGracefulShutdownsRunNoExtraHandler(runtime: String, file: String, source: String) async throws {
        for round in 0..<10 {
            let marks = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-stop-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: marks) }
            try await ProcessBackendTests.withHarness { harness in
                try await harness.define(
                    "stopper", runtime: runtime, handler: "app.handler", code: [.file(file, source)],
                    environment: ["MARKS": marks.path])
                let (outcome, _) = try await harness.invoke("stopper", #"{"round": \#(round)}"#)
                #expect(outcome.status == 200)
            }
            // Anything a stray handler would write lands within a few milliseconds of the stop.
            try await Task.sleep(for: .milliseconds(100))
            let lines = try String(contentsOf: marks, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 1, "round \(round) of \(runtime): \(lines)")
        }
    }
}

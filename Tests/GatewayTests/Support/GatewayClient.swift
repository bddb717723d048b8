import Foundation
import ShoalProtocol
import ShoalTestSupport

/// Client-side helpers the gateway tests share.
extension RPCConnection {
    /// Creates a function from `files` (a zip is built from them).
    @discardableResult
    func createFunction(
        _ name: String, runtime: String = "python3.11", handler: String = "app.handler", files: [String: String],
        timeout: Int? = nil, environment: [String: String]? = nil
    ) async throws -> FunctionConfiguration {
        try await call(
            ClientAPI.CreateFunction.self,
            .init(
                functionName: name, runtime: runtime, handler: handler,
                code: .init(zipFile: Data(TestZip.make(files)).base64EncodedString()), timeout: timeout,
                environment: environment.map { .init(variables: $0) }
            ))
    }

    /// Invokes synchronously with a JSON event; the response body as text and the result.
    func invoke(_ name: String, _ event: String = "{}", type: String? = nil, timeout: Duration? = nil) async throws -> (
        body: String, result: ClientAPI.Invoke.Result
    ) {
        let result = try await call(
            ClientAPI.Invoke.self, .init(functionName: name, payload: Data(event.utf8).base64EncodedString(), invocationType: type), timeout: timeout)
        return (String(decoding: Data(base64Encoded: result.payload) ?? Data(), as: UTF8.self), result)
    }
}

/// Handlers the tests deploy.
enum Handlers {
    /// Echoes its function name and the event's id; with env MARKS, also appends a line to
    /// MARKS/<id>, so a test can count how often each invocation really ran.
    static let echo = """
        import json, os
        def handler(event, context):
            marks = os.environ.get("MARKS")
            if marks and "id" in event:
                with open(os.path.join(marks, event["id"]), "a") as f:
                    f.write("ran\\n")
            if "sleep" in event:
                import time
                time.sleep(event["sleep"])
            return {"function": os.environ["AWS_LAMBDA_FUNCTION_NAME"], "id": event.get("id")}
        """
}

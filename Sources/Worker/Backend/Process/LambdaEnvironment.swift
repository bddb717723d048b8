import Foundation
import ShoalProtocol

/// The environment Lambda gives a function: for a local process (this process's PATH and
/// HOME inherited), or for a container (the image's).
enum LambdaEnvironment {
    /// Names a function's own variables may not override.
    static let reserved: Set<String> = [
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_FUNCTION_TIMEOUT", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
    ]

    static func variables(
        for function: FunctionDefinition, instanceID: String, region: String,
        codeDirectory: URL, optDirectory: URL, runtimeDirectory: URL, inherited: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String: String] {
        let opt = optDirectory.path
        var variables = function.environment.filter { !reserved.contains($0.key) }
        let basePath = inherited["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let day = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
            .replacingOccurrences(of: "-", with: "/")
        variables.merge([
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_VERSION": function.version ?? "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "\(function.memoryMB)",
            "AWS_LAMBDA_FUNCTION_TIMEOUT": "\(function.timeoutSeconds)",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/\(function.name)",
            "AWS_LAMBDA_LOG_STREAM_NAME": "\(day)/[\(function.version ?? "$LATEST")]\(String(StableHash.hash(instanceID), radix: 16))",
            "AWS_EXECUTION_ENV": "AWS_Lambda_\(function.runtime)",
            "_HANDLER": function.handler,
            "LAMBDA_TASK_ROOT": codeDirectory.path,
            "LAMBDA_RUNTIME_DIR": runtimeDirectory.path,
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "HOME": inherited["HOME"] ?? "/tmp",
            // Layers are where Lambda puts them relative to /opt; here /opt is per deploy.
            "PATH": "\(opt)/bin:\(basePath)",
            "LD_LIBRARY_PATH": "\(opt)/lib" + (inherited["LD_LIBRARY_PATH"].map { ":\($0)" } ?? ""),
            "PYTHONPATH": pythonPath(function.runtime, code: codeDirectory.path, opt: opt),
            "NODE_PATH":
                "\(opt)/nodejs/node\(function.runtime.dropFirst("nodejs".count).dropLast(2))/node_modules:\(opt)/nodejs/node_modules:\(codeDirectory.path)/node_modules",
            "PYTHONUNBUFFERED": "1",
        ]) { _, lambda in lambda }
        // Credentials that look like Lambda's, so SDK clients construct without a profile.
        for (key, value) in ["AWS_ACCESS_KEY_ID": "shoal", "AWS_SECRET_ACCESS_KEY": "shoal", "AWS_SESSION_TOKEN": "shoal"] where variables[key] == nil
        {
            variables[key] = value
        }
        return variables
    }

    private static func pythonPath(_ runtime: String, code: String, opt: String) -> String {
        let version = runtime.hasPrefix("python") ? String(runtime.dropFirst("python".count)) : "3"
        return "\(code):\(opt)/python:\(opt)/python/lib/python\(version)/site-packages"
    }
}

/// Hand-written JSON for the messages every invocation carries (see `JSONWriter`).
extension WorkerAPI.InvokeParams: RPCJSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("functionName", functionName)
            writer.member("deployId", ifPresent: deployId)
            writer.member("payload", payload)
            writer.member("invocationId", ifPresent: invocationId)
            writer.member("clientContext", ifPresent: clientContext)
            writer.member("logType", ifPresent: logType)
            writer.member("window", ifPresent: window)
        }
    }
}

extension WorkerAPI.InvokeResult: RPCJSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("statusCode", statusCode)
            writer.member("payload", payload)
            writer.member("functionError", ifPresent: functionError)
            writer.member("instanceId", instanceId)
            writer.member("coldStart", coldStart)
            writer.member("attempts", attempts)
            writer.member("executedVersion", executedVersion)
            writer.member("logResult", ifPresent: logResult)
            writer.member("errorType", ifPresent: errorType)
        }
    }
}

extension WorkerAPI.InvokeChunk.Params: RPCJSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.key("requestId")
            writer.id(requestId)
            writer.member("payload", payload)
        }
    }
}

extension ClientAPI.Invoke.Result: RPCJSONWritable {
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("statusCode", statusCode)
            writer.member("payload", payload)
            writer.member("functionError", ifPresent: functionError)
            writer.member("logResult", ifPresent: logResult)
            writer.member("executedVersion", ifPresent: executedVersion)
        }
    }
}

/// Hand-written JSON for the messages every invocation carries (see `JSONWriter`).
extension WorkerAPI.InvokeParams: RPCJSONWritable {
    package var jsonCapacityHint: Int { 192 + payload.utf8.count }

    package func writeJSON(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("functionName", functionName)
            writer.member("deployId", ifPresent: deployId)
            writer.member("payload", payload)
            writer.member("invocationId", ifPresent: invocationId)
            writer.member("clientContext", ifPresent: clientContext)
            writer.member("logType", ifPresent: logType)
            writer.member("window", ifPresent: window)
            writer.member("reservedConcurrency", ifPresent: reservedConcurrency)
            writer.member("waitsWhenThrottled", ifPresent: waitsWhenThrottled)
        }
    }
}

extension WorkerAPI.InvokeResult: RPCJSONWritable {
    package var jsonCapacityHint: Int { 192 + payload.utf8.count }

    package func writeJSON(to writer: inout JSONWriter) {
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

extension ClientAPI.InvokeChunk.Params: RPCJSONWritable {
    /// Bytes to reserve before writing: the payload and room for the rest.
    public var jsonCapacityHint: Int { 192 + payload.utf8.count }

    /// Writes the members AWS's shape has, by hand (no Encoder on the invoke path).
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.key("requestId")
            writer.id(requestId)
            writer.member("payload", payload)
            writer.member("contentType", ifPresent: contentType)
        }
    }
}

extension ClientAPI.Invoke.Result: RPCJSONWritable {
    /// Bytes to reserve before writing: the payload and room for the rest.
    public var jsonCapacityHint: Int { 192 + payload.utf8.count }

    /// Writes the members AWS's shape has, by hand (no Encoder on the invoke path).
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

extension ClientAPI.InvokeParams: RPCJSONWritable {
    /// Bytes to reserve before writing: the payload and room for the rest.
    public var jsonCapacityHint: Int { 128 + (payload?.utf8.count ?? 0) }

    /// Writes the members AWS's shape has, by hand (no Encoder on the invoke path).
    public func writeJSON(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("functionName", functionName)
            writer.member("payload", ifPresent: payload)
            writer.member("invocationType", ifPresent: invocationType)
            writer.member("logType", ifPresent: logType)
            writer.member("clientContext", ifPresent: clientContext)
        }
    }
}

// MARK: Reading (see FastInbound): nil whenever a member is missing or mistyped.

extension WorkerAPI.InvokeParams: RPCJSONReadable {
    package init?(jsonFields fields: JSONFields) {
        guard case let name?? = fields.string("functionName"), case let payload?? = fields.string("payload"),
            let deployId = fields.string("deployId"), let invocationId = fields.string("invocationId"),
            let clientContext = fields.string("clientContext"), let logType = fields.string("logType"),
            let window = fields.integer("window"), let reserved = fields.integer("reservedConcurrency"),
            let waits = fields.bool("waitsWhenThrottled")
        else { return nil }
        self.init(
            functionName: name, deployId: deployId, payload: payload, invocationId: invocationId,
            clientContext: clientContext, logType: logType, window: window, reservedConcurrency: reserved, waitsWhenThrottled: waits)
    }
}

extension WorkerAPI.InvokeResult: RPCJSONReadable {
    package init?(jsonFields fields: JSONFields) {
        guard case let statusCode?? = fields.integer("statusCode"), case let payload?? = fields.string("payload"),
            case let instanceId?? = fields.string("instanceId"), case let coldStart?? = fields.bool("coldStart"),
            case let attempts?? = fields.integer("attempts"), case let executedVersion?? = fields.string("executedVersion"),
            let functionError = fields.string("functionError"), let logResult = fields.string("logResult"),
            let errorType = fields.string("errorType")
        else { return nil }
        self.init(
            statusCode: statusCode, payload: payload, functionError: functionError, instanceId: instanceId,
            coldStart: coldStart, attempts: attempts, executedVersion: executedVersion, logResult: logResult, errorType: errorType)
    }
}

extension ClientAPI.InvokeChunk.Params: RPCJSONReadable {
    /// Reads the members from the envelope scan; nil sends it the general way.
    public init?(jsonFields fields: JSONFields) {
        guard case let requestId?? = fields.id("requestId"), case let payload?? = fields.string("payload"),
            let contentType = fields.string("contentType")
        else { return nil }
        self.init(requestId: requestId, payload: payload, contentType: contentType)
    }
}

extension WorkerAPI.InvokeCredit.Params: RPCJSONReadable {
    package init?(jsonFields fields: JSONFields) {
        guard case let requestId?? = fields.id("requestId"), case let bytes?? = fields.integer("bytes") else { return nil }
        self.init(requestId: requestId, bytes: bytes)
    }
}

extension ClientAPI.InvokeParams: RPCJSONReadable {
    /// Reads the members from the envelope scan; nil sends it the general way.
    public init?(jsonFields fields: JSONFields) {
        guard case let name?? = fields.string("functionName"), let payload = fields.string("payload"),
            let invocationType = fields.string("invocationType"), let logType = fields.string("logType"),
            let clientContext = fields.string("clientContext")
        else { return nil }
        self.init(functionName: name, payload: payload, invocationType: invocationType, logType: logType, clientContext: clientContext)
    }
}

extension ClientAPI.Invoke.Result: RPCJSONReadable {
    /// Reads the members from the envelope scan; nil sends it the general way.
    public init?(jsonFields fields: JSONFields) {
        guard case let statusCode?? = fields.integer("statusCode"), case let payload?? = fields.string("payload"),
            let functionError = fields.string("functionError"), let logResult = fields.string("logResult"),
            let executedVersion = fields.string("executedVersion")
        else { return nil }
        self.init(statusCode: statusCode, payload: payload, functionError: functionError, logResult: logResult, executedVersion: executedVersion)
    }
}

/// What a module's error codes share: each code knows the JSON-RPC error it becomes.
package protocol RPCErrorCode: RawRepresentable, Sendable, Hashable where RawValue == String {
    /// The wire error for this code, with `message`.
    func rpcError(_ message: String) -> RPCError
}

/// The shape of each module's one error type, a code of the module's own and a message, written
/// once: `GatewayError` and `WorkerError` are this with their module's codes. A handler throws
/// it straight back; it renders itself as the code's JSON-RPC error.
package struct CodedError<Code: RPCErrorCode>: Error, Sendable, Hashable, CustomStringConvertible, RPCErrorConvertible {
    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code.rawValue): \(message)" }

    package var rpcError: RPCError { code.rpcError(message) }
}

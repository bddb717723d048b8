/// The `shoal` executable's one error type: a failure that is not the user's typing (those
/// are ArgumentParser's `ValidationError`, shown with the usage text and exit status 64), so
/// it is printed as `Error: <code>: <message>` alone and the process exits with status 1.
struct CommandError: Error, Sendable, Hashable, CustomStringConvertible {
    enum Code: String, Sendable, Hashable {
        /// The gateway could not be reached at the given address.
        case unreachable
        /// The gateway answered with a JSON-RPC error (its data names the AWS exception).
        case gateway
        /// The function ran and failed (`functionError` in the result).
        case function
        /// A file named on the command line could not be read.
        case unreadable
        /// A fleet `shoal up` started did not come up.
        case notReady
    }

    var code: Code
    var message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { "\(code.rawValue): \(message)" }
}

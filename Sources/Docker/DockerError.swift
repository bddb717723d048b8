/// The Docker module's one error type: what the engine said, or why it could not be asked.
package struct DockerError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Code: String, Sendable, Hashable {
        /// The engine's socket is missing, refuses, or the transfer broke.
        case unreachable
        /// The engine answered with an error status; `message` is the engine's own.
        case engine
        /// No such container, image or volume (404).
        case notFound
        /// The engine's answer could not be read.
        case malformed
        /// The engine's API is older than this client speaks.
        case unsupportedVersion
    }

    package var code: Code
    package var message: String
    /// The engine's HTTP status, when it answered.
    package var status: Int?

    package init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    package var description: String { message }
}

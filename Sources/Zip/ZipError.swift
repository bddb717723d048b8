/// The zip module's one error type. Its messages are what a user sees in the
/// InvalidParameterValueException that the gateway or a worker makes of it.
package struct ZipError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Code: String, Sendable, Hashable {
        /// Not a zip, truncated, or an entry whose data does not inflate to what it claims.
        case corrupt
        /// An entry that would land outside the tree: an absolute path, `..`, or a link out.
        case unsafePath
        /// More content than the limit.
        case tooLarge
        /// Reading the archive or writing the tree failed.
        case io
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }

    static func corrupt(_ why: String) -> ZipError {
        ZipError(.corrupt, "Could not unzip uploaded file: \(why)")
    }
}

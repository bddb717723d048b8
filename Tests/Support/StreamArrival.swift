import Foundation

/// What a streamed body looked like to its reader: its text, and when its first chunk came.
///
/// The streaming test functions end each line with the time they wrote it ("chunk N at
/// MILLIS"), so a test can tell a body that arrived as it was written from one that was
/// buffered and delivered whole: the first chunk must be in hand before the last was written.
package struct StreamArrival: Sendable {
    package private(set) var text = ""
    /// Milliseconds since 1970 when the first chunk was received.
    package private(set) var firstArrival: Int64?

    package init() {}

    package mutating func received(_ bytes: [UInt8]) {
        if firstArrival == nil { firstArrival = Int64(Date().timeIntervalSince1970 * 1000) }
        text += String(decoding: bytes, as: UTF8.self)
    }

    package var lines: [Substring] { text.split(separator: "\n") }

    /// When the function wrote the last line (its last word), if the line says.
    package var lastWritten: Int64? { lines.last.flatMap { Int64($0.split(separator: " ").last ?? "") } }
}

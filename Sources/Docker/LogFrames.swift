/// The engine's multiplexed log stream (a container without a TTY): frames of an 8-byte
/// header (stream 1 stdout, 2 stderr; big-endian length at 4...7) and their bytes.
package enum LogFrames {
    /// The text of every whole frame, stdout and stderr interleaved as written.
    package static func text(_ stream: [UInt8]) -> String {
        var output: [UInt8] = []
        var offset = 0
        while offset + 8 <= stream.count {
            let length = stream[(offset + 4)..<(offset + 8)].reduce(0) { $0 << 8 | Int($1) }
            let start = offset + 8
            guard start + length <= stream.count else { break }
            output += stream[start..<(start + length)]
            offset = start + length
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension String {
    /// The byte count this base64 text decodes to, without decoding it: the gateway sizes
    /// payloads (the 6 MiB limit) and stream chunks (flow-control credit) this way and
    /// leaves decoding to the worker.
    var base64DecodedLength: Int {
        let utf8 = self.utf8
        var padding = 0
        if utf8.last == UInt8(ascii: "=") { padding += 1 }
        if utf8.dropLast().last == UInt8(ascii: "=") { padding += 1 }
        return utf8.count / 4 * 3 - padding
    }
}

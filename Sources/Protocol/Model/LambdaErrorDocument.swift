import Foundation

/// The error document Lambda returns for a failed invocation, `{"errorMessage", "errorType"}`
/// (keys sorted, so the bytes are stable). One writer for the runtime emulator, the worker and
/// the gateway, which all answer some failures themselves.
package enum LambdaErrorDocument {
    package static func bytes(type: String, message: String) -> [UInt8] {
        let json = try? JSONSerialization.data(withJSONObject: ["errorType": type, "errorMessage": message], options: [.sortedKeys])
        return Array(json ?? Data())
    }

    package static func text(type: String, message: String) -> String {
        String(decoding: bytes(type: type, message: message), as: UTF8.self)
    }

    package static func base64(type: String, message: String) -> String {
        Data(bytes(type: type, message: message)).base64EncodedString()
    }
}

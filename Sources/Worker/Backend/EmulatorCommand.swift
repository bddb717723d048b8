import Foundation

/// What runs an instance's emulator, for both backends: the lean `shoal-rie` beside `shoal`
/// when it is there (a third of the start-up CPU, less memory per instance, no libcurl), else
/// `shoal rie` (a `shoal` built or copied alone).
enum EmulatorCommand {
    static func beside(_ shoalExecutable: String) -> [String] {
        let lean = URL(fileURLWithPath: shoalExecutable).deletingLastPathComponent().appendingPathComponent("shoal-rie").path
        return FileManager.default.isExecutableFile(atPath: lean) ? [lean] : [shoalExecutable, "rie"]
    }
}

import Foundation

/// Outside programs a benchmark runs to completion (python3 to make zips, unzip to compare).
enum BenchTool {
    /// Runs `executable` with `arguments`; its standard output, or `BenchError` if it failed.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("\(executable) \(arguments.first ?? "") exited with \(process.terminationStatus)")
        }
        return data
    }

    /// Runs a Python script (`python3 -c`) with `arguments`; its standard output.
    @discardableResult
    static func python(_ script: String, _ arguments: [String] = []) throws -> Data {
        try run("/usr/bin/env", ["python3", "-c", script] + arguments)
    }
}

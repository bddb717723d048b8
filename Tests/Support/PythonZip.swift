import Foundation

/// Zips made by Python's `zipfile`, the way users' build scripts make them: deflated links,
/// zip64 directories. The entries go to the script as JSON on its command line or in a file.
package enum PythonZip {
    package struct Entry: Codable, Sendable {
        package var name: String
        package var content: String
        /// A symbolic link whose target is `content`.
        package var link: Bool

        package init(_ name: String, _ content: String, link: Bool = false) {
            self.name = name
            self.content = content
            self.link = link
        }
    }

    /// Every entry deflated (ZIP_DEFLATED), links included.
    package static func make(_ entries: [Entry]) throws -> [UInt8] {
        try run(
            arguments: [String(decoding: try JSONEncoder().encode(entries), as: UTF8.self)],
            script: """
                import io, json, sys, zipfile
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                    for entry in json.loads(sys.argv[1]):
                        info = zipfile.ZipInfo(entry["name"])
                        info.create_system = 3
                        info.compress_type = zipfile.ZIP_DEFLATED
                        info.external_attr = ((0o120777 if entry["link"] else 0o100644) << 16)
                        archive.writestr(info, entry["content"])
                sys.stdout.buffer.write(buffer.getvalue())
                """)
    }

    /// `count` small files (`d/N.py`) in `directories` folders: past 65,535 entries Python
    /// writes a zip64 directory.
    package static func many(_ count: Int, directories: Int = 100, to url: URL) throws {
        _ = try run(
            arguments: [String(count), String(directories), url.path],
            script: """
                import sys, zipfile
                count, directories, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
                with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                    for index in range(count):
                        archive.writestr("pkg/d%d/m%d.py" % (index % directories, index), "VALUE = %d\\n" % index)
                """)
    }

    private static func run(arguments: [String], script: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return Array(bytes)
    }
}

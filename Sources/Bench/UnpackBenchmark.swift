import Foundation
import ShoalWorker

/// How long a worker takes to unpack a zip of many small files, against `unzip -q` on the same
/// zip in the same run, taking turns (unzip, Shoal, unzip, Shoal...) so that both see the same
/// machine. The zip is made by Python's `zipfile` (deflated, zip64 past 65,535 entries), as
/// users' build scripts make it. The target is Shoal within 1.5× of `unzip`.
struct UnpackBenchmark {
    var entries: Int
    var repeats: Int
    /// Where both unpack (the worker's data directory lives on the same kind of disk).
    var directory: URL

    func run() throws -> String {
        let work = directory.appendingPathComponent("shoal-bench-unpack-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { CodeUnpacker.removeTree(work) }
        let zip = work.appendingPathComponent("many.zip")
        try BenchTool.python(
            """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as archive:
                for index in range(int(sys.argv[1])):
                    archive.writestr("pkg/d%d/m%d.py" % (index % 100, index), "VALUE = %d\\n" % index)
            """, [String(entries), zip.path])
        var lines = [
            "unpack into \(directory.path): \(entries) entries, \(try FileManager.default.attributesOfItem(atPath: zip.path)[.size] ?? 0) bytes zipped"
        ]
        var ratios: [Double] = []
        for round in 1...repeats {
            // Each timing starts with nothing left to write back: the disk's flush of the
            // previous step would otherwise land in the next one's time.
            let unzipTarget = work.appendingPathComponent("unzip-\(round)")
            sync()
            let unzip = try Self.time { try BenchTool.run("/usr/bin/unzip", ["-q", zip.path, "-d", unzipTarget.path]) }
            let shoalTarget = work.appendingPathComponent("shoal-\(round)")
            sync()
            let shoal = try Self.time { try CodeUnpacker.unpack([zip], into: shoalTarget) }
            CodeUnpacker.removeTree(unzipTarget)
            CodeUnpacker.removeTree(shoalTarget)
            sync()
            ratios.append(shoal / unzip)
            lines.append(String(format: "round %d: unzip -q %.2f s, shoal %.2f s, ratio %.2f", round, unzip, shoal, shoal / unzip))
        }
        lines.append(String(format: "median ratio %.2f (target: at most 1.50)", ratios.sorted()[ratios.count / 2]))
        return lines.joined(separator: "\n")
    }

    private static func time(_ body: () throws -> Void) throws -> Double {
        let started = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

}

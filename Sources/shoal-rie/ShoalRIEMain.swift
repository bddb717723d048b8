import ShoalRIE

/// `shoal-rie`: `shoal rie` as an executable of its own, for the process backend's instances.
///
/// It links only what the emulator needs (no libcurl and the 36 libraries it pulls in, no
/// gateway or worker), so it starts in a fraction of `shoal`'s time and keeps less memory per
/// warm instance (docs/performance-log.md, twenty-first round). Same options as `shoal rie`.
@main
struct ShoalRIEMain {
    static func main() async {
        ProcessStart.prepare(eventLoops: 1)
        // The worker's own command line is read by hand (`RIESettings(workerArguments:)`);
        // anything else, help included, by ArgumentParser.
        guard let settings = RIESettings(workerArguments: Array(CommandLine.arguments.dropFirst())) else {
            await RIECommand.main()
            return
        }
        do {
            try await settings.run()
        } catch {
            RIECommand.exit(withError: error)
        }
    }
}

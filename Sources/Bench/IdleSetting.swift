import Foundation

/// How this machine's idle CPUs wait, printed before every benchmark's figures.
///
/// On a VM whose cpuidle driver is `haltpoll`, `guest_halt_poll_ns` decides whether an idle
/// vCPU polls for a while or halts at once. At 0 (halt at once) every wake-up of a thread on
/// the other vCPU goes out to the host and back and the work after it runs on cold caches;
/// Shoal's one-caller latency and CPU were two to five times those with Linux's default of
/// 200000 (docs/performance-log.md, fourteenth round). A figure means little without it.
enum IdleSetting {
    /// One line such as `idle: cpuidle haltpoll, guest_halt_poll_ns 0 (Linux's default 200000)`.
    static func describe() -> String {
        let driver = read("/sys/devices/system/cpu/cpuidle/current_driver") ?? "none"
        guard let poll = read("/sys/module/haltpoll/parameters/guest_halt_poll_ns") else { return "idle: cpuidle \(driver)" }
        return "idle: cpuidle \(driver), guest_halt_poll_ns \(poll) (Linux's default 200000)"
    }

    private static func read(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}

import Foundation
import Logging
import NIOConcurrencyHelpers
import ShoalRuntimeInterface

/// The worker processes `shoal up` runs: started from this same executable on ephemeral
/// loopback ports, each in a session of its own, restarted on the same port if one dies
/// (so it rejoins the ring where it was), and stopped by pid with SIGTERM, which makes
/// each worker stop its instances first.
final class LocalWorkers: Sendable {
    struct Worker: Sendable {
        var id: String
        var port: Int
        var process: RuntimeProcess
    }

    private let arguments: @Sendable (_ id: String, _ port: Int) -> [String]
    /// Added to this process's environment for every worker (the fleet token travels here).
    private let environment: [String: String]
    private let workers = NIOLockedValueBox<[Worker]>([])
    private let stopping = NIOLockedValueBox(false)
    private let logger = Logger(label: "shoal.up")

    init(environment: [String: String] = [:], arguments: @escaping @Sendable (_ id: String, _ port: Int) -> [String]) {
        self.environment = environment
        self.arguments = arguments
    }

    var ports: [Int] { workers.withLockedValue { $0.map(\.port) } }

    /// Starts `count` workers and waits until each has printed its ready line.
    func start(count: Int) async throws {
        for index in 1...count {
            let worker = try await launch(id: "worker-\(index)", port: 0)
            workers.withLockedValue { $0.append(worker) }
            watch(worker)
        }
    }

    private func launch(id: String, port: Int) async throws -> Worker {
        let logs = LogBuffer(capacity: 16 * 1024)
        let process = RuntimeProcess(
            .init(
                executable: Self.executable, arguments: arguments(id, port),
                environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                workingDirectory: FileManager.default.currentDirectoryPath),
            logs: logs, echo: true, isolation: .newSession
        )
        do {
            let ready = try await process.waitUntilReady(logs: logs, timeout: .seconds(30))
            return Worker(id: id, port: ready.port, process: process)
        } catch {
            await process.terminate(grace: .seconds(2))
            throw error
        }
    }

    /// Restarts a worker that exits while Shoal is up, on its old port.
    private func watch(_ worker: Worker) {
        Task { [self] in
            let exit = await worker.process.exited
            guard !stopping.withLockedValue({ $0 }) else { return }
            logger.warning("worker exited; restarting it", metadata: ["worker": "\(worker.id)", "exit": "\(exit)"])
            for attempt in 1...20 {
                guard !stopping.withLockedValue({ $0 }) else { return }
                do {
                    let replacement = try await launch(id: worker.id, port: worker.port)
                    let kept = workers.withLockedValue { workers -> Bool in
                        guard !stopping.withLockedValue({ $0 }), let index = workers.firstIndex(where: { $0.id == worker.id }) else { return false }
                        workers[index] = replacement
                        return true
                    }
                    guard kept else {
                        await replacement.process.terminate(grace: .seconds(5))
                        return
                    }
                    watch(replacement)
                    return
                } catch {
                    logger.warning("worker restart failed", metadata: ["worker": "\(worker.id)", "attempt": "\(attempt)", "error": "\(error)"])
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
        }
    }

    /// SIGTERM to every worker, then waits for each (killing its session after the grace).
    func stop() async {
        stopping.withLockedValue { $0 = true }
        let all = workers.withLockedValue { $0 }
        await withTaskGroup(of: Void.self) { group in
            for worker in all {
                group.addTask { await worker.process.terminate(grace: .seconds(10)) }
            }
        }
    }

    static var executable: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }
}

import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import ShoalProtocol
import ShoalRIE
import ShoalRuntimeInterface

/// Runs each instance as a local `shoal rie` process fronting the function's runtime:
/// no Docker, cold starts in tens of milliseconds.
///
/// Code and layers are unpacked once per deploy into `DATA/deploys/<deployId>/{code,opt}`,
/// read-only and shared by that deploy's instances. Each instance is one RIE in a session of
/// its own (so terminate can sweep every process of it), with the function's MemorySize as a
/// cgroup limit where the kernel allows one.
package final class ProcessBackend: InstanceBackend {
    package struct Configuration: Sendable {
        /// The worker's data directory; deploys and bundled runtimes live below it.
        package var dataDirectory: URL
        /// The `shoal` executable that provides `shoal rie`.
        package var shoalExecutable: String
        package var region = "us-east-1"
        package var pythonExecutable: String?
        package var nodeExecutable: String?
        /// "auto", "awslambdaric" or "bundled".
        package var pythonClient = "auto"
        /// Limit instances to their MemorySize (cgroup v1 memory controller, else RLIMIT_DATA).
        package var limitMemory = true
        /// Python runtimes forked from a warm interpreter (`PythonForkServers`) instead of
        /// started fresh; `--python-fork-server off` turns it off.
        package var pythonForkServer = true
        package var startTimeout: Duration = .seconds(10)

        package init(dataDirectory: URL, shoalExecutable: String) {
            self.dataDirectory = dataDirectory
            self.shoalExecutable = shoalExecutable
        }

        /// What runs an instance's emulator (`shoal-rie` beside `shoal`, else `shoal rie`).
        package var emulatorCommand: [String] { EmulatorCommand.beside(shoalExecutable) }
    }

    private struct Running {
        var process: RuntimeProcess
        var logs: LogBuffer
        var session: pid_t
        var cgroup: String?
    }

    package let name = "process"
    package let configuration: Configuration
    let artifacts: ArtifactStore
    let catalog: RuntimeCatalog
    private let cgroups: MemoryCgroups?
    private let forkServers: PythonForkServers?
    private let running = NIOLockedValueBox<[String: Running]>([:])
    /// Instances whose RIE is started but not ready yet, and whether `terminateAll` ran: a
    /// launch that completes during shutdown must not leave its RIE behind.
    private let launching = NIOLockedValueBox<(processes: [String: RuntimeProcess], stopped: Bool)>(([:], false))
    private let logger = Logger(label: "shoal.worker.process")

    package init(configuration: Configuration, artifacts: ArtifactStore) throws {
        self.configuration = configuration
        self.artifacts = artifacts
        catalog = RuntimeCatalog(
            pythonExecutable: configuration.pythonExecutable, nodeExecutable: configuration.nodeExecutable,
            pythonClient: RuntimeCatalog.PythonClient(rawValue: configuration.pythonClient) ?? .auto,
            runtimeDirectory: configuration.dataDirectory.appendingPathComponent("runtimes")
        )
        try catalog.installBundledRuntimes()
        cgroups = configuration.limitMemory ? MemoryCgroups() : nil
        do {
            forkServers = configuration.pythonForkServer ? try PythonForkServers(runtimeDirectory: catalog.runtimeDirectory) : nil
        } catch {
            forkServers = nil
            logger.warning("no Python fork server (its socket directory: \(error)); Python runtimes start fresh")
        }
    }

    // MARK: InstanceBackend

    package func prepull(_ function: FunctionDefinition) async throws {
        guard function.packageType != "Image" else {
            throw WorkerError(
                .invalidParameter, "PackageType Image functions run on the Docker backend (--backend docker); this worker runs processes")
        }
        let (code, _) = try await prepareDeploy(function)
        let command = try await catalog.command(for: function, codeDirectory: code)
        // A Python function's fork server starts now, not on its first cold start (which would
        // wait about 0.1 s for it); the deploy does not wait.
        if let forkServers, PythonForkServers.key(for: command) != nil {
            Task { _ = await forkServers.socket(for: command) }
        }
    }

    package func launch(_ request: LaunchRequest) async throws -> LaunchedInstance {
        let function = request.function
        let (code, opt) = try await prepareDeploy(function)
        let runtimeCommand = try await catalog.command(for: function, codeDirectory: code)
        let cgroup = cgroups?.make(request.instanceID, megabytes: function.memoryMB)
        let emulator = configuration.emulatorCommand
        let settings = RIESettings(
            port: 0, timeout: Double(function.timeoutSeconds), memory: function.memoryMB, functionName: function.name,
            workingDirectory: code.path, memoryCgroup: cgroup, limitMemory: cgroup == nil && configuration.limitMemory,
            forkServer: await forkServers?.socket(for: runtimeCommand),
            // A launch is for a call that waits: the runtime's init overlaps the RIE's handshake.
            initAtStart: true, command: runtimeCommand)
        let arguments = Array(emulator.dropFirst()) + settings.workerArguments
        let environment = LambdaEnvironment.variables(
            for: function, instanceID: request.instanceID, region: configuration.region,
            codeDirectory: code, optDirectory: opt, runtimeDirectory: catalog.runtimeDirectory
        )
        let logs = LogBuffer(capacity: 256 * 1024)
        let process = RuntimeProcess(
            .init(executable: emulator[0], arguments: arguments, environment: environment, workingDirectory: code.path),
            logs: logs, echo: false, isolation: .newSession
        )
        let admitted = launching.withLockedValue { state -> Bool in
            guard !state.stopped else { return false }
            state.processes[request.instanceID] = process
            return true
        }
        defer { _ = launching.withLockedValue { $0.processes.removeValue(forKey: request.instanceID) } }
        do {
            guard admitted else { throw WorkerError(.shuttingDown, "the worker is shutting down") }
            // The RIE's pid names the instance's session.
            let (port, session): (Int, pid_t)
            do {
                (port, session) = try await process.waitUntilReady(logs: logs, timeout: configuration.startTimeout)
            } catch {
                throw WorkerError(.launchFailed, "shoal rie did not start: \(error)")
            }
            let kept = launching.withLockedValue { state -> Bool in
                guard !state.stopped else { return false }
                running.withLockedValue { $0[request.instanceID] = Running(process: process, logs: logs, session: session, cgroup: cgroup) }
                return true
            }
            guard kept else { throw WorkerError(.shuttingDown, "the worker shut down while the instance started") }
            return LaunchedInstance(instanceID: request.instanceID, endpoint: Endpoint(host: "127.0.0.1", port: port), handle: "\(session)")
        } catch {
            if let pid = process.pid, pid > 1 { await SessionSweep.kill(session: pid) }
            await process.stop()
            cgroups?.remove(cgroup)
            throw error
        }
    }

    package func terminate(_ instance: LaunchedInstance) async {
        guard let record = running.withLockedValue({ $0.removeValue(forKey: instance.instanceID) }) else { return }
        await stop(record)
    }

    /// SIGTERM first, so the RIE stops and reaps its runtime (an orphaned runtime would be
    /// left to PID 1, which may never reap it); then everything still in the instance's
    /// session is killed, and the RIE itself reaped.
    private func stop(_ record: Running) async {
        precondition(record.session > 1, "an instance session must be a real process id")
        kill(record.session, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(2)
        while SessionSweep.sessionID(of: record.session) != nil, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        await SessionSweep.kill(session: record.session)
        await record.process.stop()
        cgroups?.remove(record.cgroup)
    }

    package func logs(_ instance: LaunchedInstance) async -> String {
        guard let logs = running.withLockedValue({ $0[instance.instanceID]?.logs }) else { return "" }
        return String(decoding: logs.contents, as: UTF8.self)
    }

    /// The session ids of the running instances (each instance's processes share one).
    package var sessions: [pid_t] { running.withLockedValue { $0.values.map(\.session) } }

    /// Stops every instance (worker shutdown calls terminate for each; this is the backstop).
    package func terminateAll() async {
        let starting = launching.withLockedValue { state in
            state.stopped = true
            return Array(state.processes.values)
        }
        let all = running.withLockedValue { records in
            defer { records.removeAll() }
            return Array(records.values)
        }
        for record in all { await stop(record) }
        for process in starting {
            if let pid = process.pid, pid > 1 { await SessionSweep.kill(session: pid) }
            await process.stop()
        }
        await forkServers?.stopAll()
        // Removing a cgroup may wait for the kernel to let go of it: off the task's thread.
        if let cgroups { try? await NIOThreadPool.singleton.runIfActive { cgroups.removeAll() } }
    }

    // MARK: Deploys

    /// Unpacks the function's code and layers for its deploy, once; both are shared
    /// read-only by the deploy's instances.
    func prepareDeploy(_ function: FunctionDefinition) async throws -> (code: URL, opt: URL) {
        let root = configuration.dataDirectory.appendingPathComponent("deploys/\(function.deployID.rawValue)")
        let code = root.appendingPathComponent("code")
        let opt = root.appendingPathComponent("opt")
        let codeArchives = function.codeSHA256.map { [artifacts.path(of: $0)] } ?? []
        let layerArchives = function.layerSHA256s.map { artifacts.path(of: $0) }
        try await NIOThreadPool.singleton.runIfActive {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try CodeUnpacker.unpack(codeArchives, into: code)
            try CodeUnpacker.unpack(layerArchives, into: opt)
        }
        return (code, opt)
    }
}

import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import ShoalDocker
import ShoalProtocol

/// Runs each instance as a container through the Docker Engine API (libcurl on its unix
/// socket, no docker CLI): `shoal-rie` from this worker's bundle volume fronts the image's
/// runtime, so streaming, the overlap refusal and the log tail hold as in the process backend.
///
/// Code goes to `/var/task` and layers to `/opt` by archive upload before the container
/// starts, so a worker that itself runs in a container needs only the engine's socket.
package final class DockerBackend: InstanceBackend {
    package struct Configuration: Sendable {
        package var workerID: String
        /// Where deploys are unpacked before they are archived for upload.
        package var dataDirectory: URL
        /// The `shoal` executable; the `shoal-rie` beside it (else `shoal rie`) is copied into
        /// the containers (`EmulatorCommand`).
        package var shoalExecutable: String
        package var dockerHost = DockerEngine.defaultHost
        /// `--runtime-image RUNTIME=IMAGE`.
        package var runtimeImages: [String: String] = [:]
        /// A user-defined network for instances (when the worker itself runs in a container).
        package var network: String?
        /// Pull an image the engine does not have (`--pull missing`); off, a missing image
        /// fails at once (`--pull never`, for machines that reach no registry).
        package var pullsMissingImages = true
        /// `--docker-emulator auto|shoal|image`: Shoal's emulator where it can run, or the image's
        /// own `aws-lambda-rie`.
        package var emulator = "auto"
        package var region = "us-east-1"
        package var startTimeout: Duration = .seconds(30)

        package init(workerID: String, dataDirectory: URL, shoalExecutable: String) {
            self.workerID = workerID
            self.dataDirectory = dataDirectory
            self.shoalExecutable = shoalExecutable
        }
    }

    package let name = "docker"
    package let configuration: Configuration
    let engine: DockerEngine
    let artifacts: ArtifactStore
    private let settings: ContainerPlan.Settings
    /// `shoal-rie` from the bundle volume; nil when every instance uses the image's emulator.
    private let bundle: ContainerPlan.Emulator?
    private let emulatorSetting: ContainerPlan.EmulatorSetting
    private let images: RuntimeImages
    /// Container ids by instance id.
    private let running = NIOLockedValueBox<[String: String]>([:])
    /// Each image's inspection (after a pull when it was missing), asked once.
    private let imageConfigs = NIOLockedValueBox<[String: Task<ImageInspect, any Error>]>([:])
    /// The latest deploys' uploads (code under var/task, layers under opt), built once each;
    /// older ones are dropped (and built again from their unpacked tree if needed).
    private let uploads = NIOLockedValueBox<(tasks: [DeployID: Task<TarArchive, any Error>], order: [DeployID])>(([:], []))
    private static let keptUploads = 32
    private let logger = Logger(label: "shoal.worker.docker")

    private init(
        configuration: Configuration, engine: DockerEngine, artifacts: ArtifactStore, settings: ContainerPlan.Settings,
        bundle: ContainerPlan.Emulator?
    ) {
        self.configuration = configuration
        self.bundle = bundle
        self.emulatorSetting = ContainerPlan.EmulatorSetting(rawValue: configuration.emulator) ?? .auto
        self.engine = engine
        self.artifacts = artifacts
        self.settings = settings
        self.images = RuntimeImages(overrides: configuration.runtimeImages)
    }

    /// Connects to the engine (a missing or refusing socket fails here, at the worker's
    /// start), removes what an earlier life of this worker left, and fills the bundle volume.
    package static func start(_ configuration: Configuration, artifacts: ArtifactStore) async throws(WorkerError) -> DockerBackend {
        let engine: DockerEngine
        do {
            engine = try await DockerEngine(.init(host: configuration.dockerHost))
        } catch {
            throw WorkerError(.launchFailed, "the docker backend cannot reach the Docker engine at \(configuration.dockerHost): \(error.message)")
        }
        do {
            var settings = ContainerPlan.Settings(workerID: configuration.workerID)
            settings.region = configuration.region
            settings.network = configuration.network
            var emulator: ContainerPlan.Emulator?
            var bundle: RIEBundle?
            if configuration.emulator != "image" {
                let found = try await RIEBundle.of(EmulatorCommand.beside(configuration.shoalExecutable))
                emulator = .shoal(
                    volume: found.volumeName(workerID: configuration.workerID), loader: found.loader,
                    command: found.command(mountedAt: ContainerPlan.bundlePath))
                bundle = found
            }
            let backend = DockerBackend(configuration: configuration, engine: engine, artifacts: artifacts, settings: settings, bundle: emulator)
            try await backend.removeLeftovers()
            if let bundle, case .shoal(let volume, _, _) = emulator {
                try await BundleVolume.fill(volume, with: bundle, workerID: configuration.workerID, engine: engine)
            }
            return backend
        } catch {
            await engine.shutdown()
            throw error as? WorkerError ?? WorkerError(.launchFailed, "the docker backend could not start: \(error)")
        }
    }

    // MARK: InstanceBackend

    package func prepull(_ function: FunctionDefinition) async throws {
        _ = try await imageConfig(for: function)
        if function.packageType != "Image" { _ = try await upload(function) }
    }

    package func launch(_ request: LaunchRequest) async throws -> LaunchedInstance {
        let function = request.function
        let image = try image(of: function)
        let inspected = try await imageConfig(for: function)
        let emulator = ContainerPlan.emulator(emulatorSetting, imageArchitecture: inspected.architecture, bundle: bundle)
        let spec = ContainerPlan.create(
            function, instanceID: request.instanceID, image: image, config: inspected.config, emulator: emulator, settings: settings)
        let id = try await engineCall { try await engine.createContainer(spec) }
        running.withLockedValue { $0[request.instanceID] = id }
        do {
            if function.packageType != "Image" {
                let archive = try await upload(function)
                try await engineCall { try await engine.putArchive(id, at: "/", archive) }
            }
            try await engineCall { try await engine.startContainer(id) }
            let endpoint = try await waitUntilReady(id, emulator: emulator)
            return LaunchedInstance(instanceID: request.instanceID, endpoint: endpoint, handle: id)
        } catch {
            running.withLockedValue { _ = $0.removeValue(forKey: request.instanceID) }
            try? await engine.removeContainer(id)
            throw error
        }
    }

    package func terminate(_ instance: LaunchedInstance) async {
        guard let id = running.withLockedValue({ $0.removeValue(forKey: instance.instanceID) }) else { return }
        do {
            try await engine.removeContainer(id)
        } catch {
            logger.warning("could not remove container", metadata: ["container": "\(id)", "error": "\(error)"])
        }
    }

    package func logs(_ instance: LaunchedInstance) async -> String {
        (try? await engine.logs(instance.handle)) ?? ""
    }

    /// Removes every container of this worker, and its bundle volume (worker shutdown).
    package func terminateAll() async {
        let ids = running.withLockedValue { running in
            defer { running.removeAll() }
            return Array(running.values)
        }
        await withTaskGroup(of: Void.self) { group in
            for id in ids { group.addTask { [engine] in try? await engine.removeContainer(id) } }
        }
        try? await removeLeftovers()
        if case .shoal(let volume, _, _) = bundle { try? await engine.removeVolume(volume) }
        await engine.shutdown()
    }

    // MARK: Parts

    /// The containers an earlier life of this worker left (same worker id), removed.
    private func removeLeftovers() async throws {
        let leftovers = try await engineCall { try await engine.containers(labelled: ["shoal.worker=\(configuration.workerID)"]) }
        if !leftovers.isEmpty { logger.info("removing containers an earlier run left", metadata: ["count": "\(leftovers.count)"]) }
        for container in leftovers { try? await engine.removeContainer(container.id) }
    }

    private func image(of function: FunctionDefinition) throws(WorkerError) -> String {
        if function.packageType == "Image" {
            guard let uri = function.imageURI, !uri.isEmpty else { throw WorkerError(.invalidParameter, "an Image function needs an imageUri") }
            return uri
        }
        return try images.image(for: function.runtime)
    }

    /// The function's image's configuration, pulling it first when the engine does not have
    /// it; an image that cannot be had is InvalidParameterValueException naming it (and, for a
    /// zip function, the runtime and how to configure its image).
    private func imageConfig(for function: FunctionDefinition) async throws -> ImageInspect {
        let image = try image(of: function)
        let pulls = configuration.pullsMissingImages
        let missing: @Sendable (String) -> WorkerError = { why in
            guard function.packageType != "Image" else { return WorkerError(.invalidParameter, "image not found: \(image) \(why)") }
            return WorkerError(
                .invalidParameter,
                "no image for runtime \(function.runtime): \(image) \(why); configure one with --runtime-image \(function.runtime)=IMAGE")
        }
        let task = imageConfigs.withLockedValue { tasks in
            if let task = tasks[image] { return task }
            let task = Task { [engine, logger] () throws -> ImageInspect in
                if let found = try await engine.inspectImage(image) { return found }
                guard pulls else { throw missing("is not on this engine, and pulling is off (--pull never)") }
                logger.info("pulling image", metadata: ["image": "\(image)"])
                do {
                    try await engine.pullImage(image)
                } catch let error as DockerError {
                    throw missing("is not on this engine and could not be pulled: \(error.message)")
                }
                guard let pulled = try await engine.inspectImage(image) else { throw missing("is not on this engine after its pull") }
                return pulled
            }
            tasks[image] = task
            return task
        }
        do {
            return try await task.value
        } catch {
            // Not remembered: the image may be built or become pullable later.
            _ = imageConfigs.withLockedValue { $0.removeValue(forKey: image) }
            throw (error as? DockerError).map { WorkerError(.launchFailed, "Docker engine: \($0.message)") } ?? error
        }
    }

    /// The deploy's code and layers as one archive rooted at `/`.
    private func upload(_ function: FunctionDefinition) async throws -> TarArchive {
        let deploy = function.deployID
        let task = uploads.withLockedValue { uploads in
            if let task = uploads.tasks[deploy] { return task }
            let root = configuration.dataDirectory.appendingPathComponent("deploys/\(deploy.rawValue)")
            let code = function.codeSHA256.map { [artifacts.path(of: $0)] } ?? []
            let layers = function.layerSHA256s.map { artifacts.path(of: $0) }
            let task = Task { () throws -> TarArchive in
                try await NIOThreadPool.singleton.runIfActive {
                    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
                    try CodeUnpacker.unpack(code, into: root.appendingPathComponent("code"))
                    try CodeUnpacker.unpack(layers, into: root.appendingPathComponent("opt"))
                    var archive = TarArchive()
                    archive.append(.directory(path: "var/task", mode: 0o755))
                    for entry in try TarArchive.entries(ofDirectory: root.appendingPathComponent("code")) { archive.append(entry.under("var/task")) }
                    archive.append(.directory(path: "opt", mode: 0o755))
                    for entry in try TarArchive.entries(ofDirectory: root.appendingPathComponent("opt")) { archive.append(entry.under("opt")) }
                    archive.finish()
                    return archive
                }
            }
            uploads.tasks[deploy] = task
            uploads.order.append(deploy)
            if uploads.order.count > Self.keptUploads { uploads.tasks[uploads.order.removeFirst()] = nil }
            return task
        }
        do {
            return try await task.value
        } catch {
            uploads.withLockedValue { uploads in
                uploads.tasks[deploy] = nil
                uploads.order.removeAll { $0 == deploy }
            }
            throw error
        }
    }

    /// Polls until the emulator listens (Shoal's emulator's ready line in the log; an HTTP answer
    /// from AWS's, which prints none); a container that stopped first is a launch failure
    /// with its output.
    private func waitUntilReady(_ id: String, emulator: ContainerPlan.Emulator) async throws -> Endpoint {
        let deadline = ContinuousClock.now + configuration.startTimeout
        var delay = Duration.milliseconds(2)
        while ContinuousClock.now < deadline {
            let inspected = try await engineCall { try await engine.inspectContainer(id) }
            let endpoint = try endpoint(of: inspected)
            switch emulator {
            case .shoal:
                let output = try await engineCall { try await engine.logs(id, tail: 50) }
                if output.contains("shoal rie listening on") { return endpoint }
            case .image:
                if await engine.answersHTTP(host: endpoint.host, port: endpoint.port) { return endpoint }
            }
            if !inspected.state.running {
                let output = (try? await engine.logs(id, tail: 50)) ?? ""
                throw WorkerError(
                    .launchFailed, "container \(id) exited (\(inspected.state.exitCode ?? -1)) before its emulator was ready: \(output.suffix(2048))")
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .milliseconds(20))
        }
        throw WorkerError(.launchFailed, "container \(id): its emulator was not ready within \(configuration.startTimeout)")
    }

    /// Where the worker reaches the container's emulator: its address on the instances'
    /// network, or the port the engine published on 127.0.0.1.
    private func endpoint(of inspected: ContainerInspect) throws -> Endpoint {
        if let network = settings.network, let address = inspected.networkSettings?.networks?[network]?.ipAddress, !address.isEmpty {
            return Endpoint(host: address, port: ContainerPlan.invokePort)
        }
        guard let port = inspected.hostPort(for: "\(ContainerPlan.invokePort)/tcp") else {
            throw WorkerError(.launchFailed, "container \(inspected.id) has no published invoke port")
        }
        return Endpoint(host: "127.0.0.1", port: port)
    }

    /// Runs an engine call; the engine's errors become WorkerError with the engine's message.
    private func engineCall<T>(_ call: () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch let error as DockerError {
            throw WorkerError(.launchFailed, "Docker engine: \(error.message)")
        }
    }
}

extension TarArchive.Entry {
    /// The same entry below `prefix`.
    func under(_ prefix: String) -> TarArchive.Entry {
        switch self {
        case .file(let path, let bytes, let mode): .file(path: "\(prefix)/\(path)", bytes: bytes, mode: mode)
        case .directory(let path, let mode): .directory(path: "\(prefix)/\(path)", mode: mode)
        case .symlink(let path, let target): .symlink(path: "\(prefix)/\(path)", target: target)
        }
    }
}

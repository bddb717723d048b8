import ShoalDocker
import ShoalProtocol

/// The volume that carries this worker's emulator and its libraries into every container,
/// filled once through the engine: an empty helper image's container mounts it, and the
/// bundle is uploaded into it, so nothing of the worker's own filesystem is bind-mounted.
enum BundleVolume {
    static let helperImage = "shoal-bundle-helper:1"

    static func fill(_ volume: String, with bundle: RIEBundle, workerID: String, engine: DockerEngine) async throws(WorkerError) {
        do {
            guard try await engine.ensureVolume(volume, labels: ["shoal.worker": workerID]) else { return }
            if try await engine.inspectImage(helperImage) == nil {
                try await engine.importImage(helperImage, TarArchive([.directory(path: "bundle", mode: 0o755)]))
            }
            var spec = ContainerCreate(image: helperImage)
            spec.entrypoint = ["/bundle/\(bundle.fileName)"]  // never started: the container only mounts the volume
            spec.labels = ["shoal.worker": workerID, "shoal.helper": "bundle"]
            spec.hostConfig.mounts = [.init(volume: volume, at: "/bundle", readOnly: false)]
            let archive: TarArchive
            do {
                archive = try bundle.archive()
            } catch {
                throw WorkerError(.internalFailure, "could not read \(bundle.executable) and its libraries: \(error)")
            }
            let helper = try await engine.createContainer(spec)
            let uploaded: Result<Void, DockerError>
            do {
                try await engine.putArchive(helper, at: "/bundle", archive)
                uploaded = .success(())
            } catch {
                uploaded = .failure(error)
            }
            try? await engine.removeContainer(helper)
            try uploaded.get()
        } catch let error as DockerError {
            try? await engine.removeVolume(volume)
            throw WorkerError(.launchFailed, "could not fill the bundle volume \(volume): \(error.message)")
        } catch let error as WorkerError {
            try? await engine.removeVolume(volume)
            throw error
        } catch {
            throw WorkerError(.internalFailure, "\(error)")
        }
    }
}

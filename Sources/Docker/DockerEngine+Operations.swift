import Foundation
import NIOConcurrencyHelpers

/// The engine operations Shoal uses: containers, images, volumes.
extension DockerEngine {
    // MARK: Containers

    /// Creates a container (not started); returns its id.
    package func createContainer(_ spec: ContainerCreate, name: String? = nil) async throws(DockerError) -> String {
        let path = "/containers/create" + (name.map { "?name=\(Self.query($0))" } ?? "")
        let response = try await send(EngineRequest("POST", path, body: Self.encode(spec)), accepting: [201])
        return try Self.decode(Created.self, response).id
    }

    package func startContainer(_ id: String) async throws(DockerError) {
        _ = try await send(EngineRequest("POST", "/containers/\(id)/start"), accepting: [204, 304])
    }

    package func inspectContainer(_ id: String) async throws(DockerError) -> ContainerInspect {
        try Self.decode(ContainerInspect.self, try await send(EngineRequest("GET", "/containers/\(id)/json")))
    }

    /// Waits for the container to stop; returns its exit status.
    package func waitContainer(_ id: String) async throws(DockerError) -> Int {
        let response = try await send(EngineRequest("POST", "/containers/\(id)/wait", timeout: nil))
        return try Self.decode(Waited.self, response).statusCode
    }

    package func killContainer(_ id: String, signal: String = "KILL") async throws(DockerError) {
        _ = try await send(EngineRequest("POST", "/containers/\(id)/kill?signal=\(signal)"), accepting: [204, 409])
    }

    /// Removes the container, killing it if it runs; a container already gone is no error.
    package func removeContainer(_ id: String) async throws(DockerError) {
        _ = try await send(EngineRequest("DELETE", "/containers/\(id)?force=true&v=true"), accepting: [204, 404, 409])
    }

    /// The last `tail` lines of its stdout and stderr, interleaved.
    package func logs(_ id: String, tail: Int = 200) async throws(DockerError) -> String {
        LogFrames.text(try await send(EngineRequest("GET", "/containers/\(id)/logs?stdout=1&stderr=1&tail=\(tail)")).body)
    }

    /// Extracts a tar archive into the container's filesystem at `path` (works before start).
    package func putArchive(_ id: String, at path: String, _ archive: TarArchive) async throws(DockerError) {
        _ = try await send(
            EngineRequest("PUT", "/containers/\(id)/archive?path=\(Self.query(path))", body: archive.bytes, contentType: "application/x-tar"))
    }

    /// Containers (running or not) carrying every one of `labels` (`key=value`).
    package func containers(labelled labels: [String]) async throws(DockerError) -> [ContainerSummary] {
        let filters = String(decoding: Self.encode(["label": labels]), as: UTF8.self)
        return try Self.decode([ContainerSummary].self, try await send(EngineRequest("GET", "/containers/json?all=1&filters=\(Self.query(filters))")))
    }

    // MARK: Images

    /// The image, or nil when the engine does not have it.
    package func inspectImage(_ name: String) async throws(DockerError) -> ImageInspect? {
        do {
            return try Self.decode(ImageInspect.self, try await send(EngineRequest("GET", "/images/\(Self.query(name))/json")))
        } catch  where error.code == .notFound {
            return nil
        }
    }

    /// Pulls the image, logging the engine's progress; an error in the progress stream (the
    /// engine answers 200 and reports failure in it) is thrown with its message.
    package func pullImage(_ name: String) async throws(DockerError) {
        let (repository, tag) = Self.split(image: name)
        let failure = NIOLockedValueBox<String?>(nil)
        let logger = logger
        let status = try await stream(
            EngineRequest("POST", "/images/create?fromImage=\(Self.query(repository))&tag=\(Self.query(tag))", timeout: nil)
        ) { chunk in
            for line in String(decoding: chunk, as: UTF8.self).split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
                if let error = object["error"] as? String { failure.withLockedValue { $0 = error } }
                if let status = object["status"] as? String { logger.info("pulling \(name): \(status)") }
            }
        }
        if let message = failure.withLockedValue({ $0 }) { throw DockerError(.notFound, message, status: status) }
        guard status == 200 else { throw DockerError(status == 404 ? .notFound : .engine, "pulling \(name) answered \(status)", status: status) }
    }

    /// Makes an image of a filesystem tar (`POST /images/create?fromSrc=-`), as `docker import`.
    package func importImage(_ name: String, _ archive: TarArchive) async throws(DockerError) {
        let (repository, tag) = Self.split(image: name)
        _ = try await send(
            EngineRequest(
                "POST", "/images/create?fromSrc=-&repo=\(Self.query(repository))&tag=\(Self.query(tag))", body: archive.bytes,
                contentType: "application/x-tar"))
    }

    /// `repository[:tag]`, the tag `latest` when none is given (a port's colon is not a tag's).
    package static func split(image: String) -> (repository: String, tag: String) {
        if let at = image.firstIndex(of: "@") { return (String(image[..<at]), String(image[image.index(after: at)...])) }
        guard let colon = image.lastIndex(of: ":"), !image[colon...].contains("/") else { return (image, "latest") }
        return (String(image[..<colon]), String(image[image.index(after: colon)...]))
    }

    // MARK: Volumes

    /// Creates the named volume if it does not exist; true when this call created it.
    package func ensureVolume(_ name: String, labels: [String: String] = [:]) async throws(DockerError) -> Bool {
        if (try? await send(EngineRequest("GET", "/volumes/\(Self.query(name))"))) != nil { return false }
        _ = try await send(EngineRequest("POST", "/volumes/create", body: Self.encode(VolumeCreate(name: name, labels: labels))), accepting: [201])
        return true
    }

    /// The names of the volumes carrying every one of `labels`.
    package func volumes(labelled labels: [String]) async throws(DockerError) -> [String] {
        let filters = String(decoding: Self.encode(["label": labels]), as: UTF8.self)
        let response = try await send(EngineRequest("GET", "/volumes?filters=\(Self.query(filters))"))
        return try Self.decode(VolumeList.self, response).volumes?.map(\.name) ?? []
    }

    package func removeVolume(_ name: String) async throws(DockerError) {
        _ = try await send(EngineRequest("DELETE", "/volumes/\(Self.query(name))?force=true"), accepting: [204, 404])
    }
}

/// Which Engine API version to speak: the engine's own, capped at the newest this client
/// knows, and refused below the oldest that has what it uses (1.41: Docker 20.10).
package enum APIVersion {
    package static let oldest = (1, 41)
    package static let newest = (1, 47)

    /// The version for paths (`/v1.41/...`), from `GET /version`'s `ApiVersion`.
    package static func negotiate(engine: String) throws(DockerError) -> String {
        let parts = engine.split(separator: ".").compactMap { Int($0) }
        guard parts.count == 2 else { throw DockerError(.malformed, "the engine reported API version \(engine)") }
        let version = (parts[0], parts[1])
        if version < oldest {
            throw DockerError(.unsupportedVersion, "the Docker engine speaks API \(engine); Shoal needs \(oldest.0).\(oldest.1) or newer")
        }
        let chosen = version < newest ? version : newest
        return "\(chosen.0).\(chosen.1)"
    }
}

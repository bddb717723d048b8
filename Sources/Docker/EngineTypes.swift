/// The Engine API's JSON shapes that Shoal sends and reads, the members it uses only.

/// `POST /containers/create`'s body.
package struct ContainerCreate: Encodable, Sendable, Hashable {
    package var image: String
    package var entrypoint: [String]?
    package var cmd: [String]?
    package var env: [String] = []
    package var workingDir: String?
    package var user: String?
    package var labels: [String: String] = [:]
    package var exposedPorts: [String: EmptyObject]?
    package var hostConfig = HostConfig()

    package init(image: String) { self.image = image }

    enum CodingKeys: String, CodingKey {
        case image = "Image"
        case entrypoint = "Entrypoint"
        case cmd = "Cmd"
        case env = "Env"
        case workingDir = "WorkingDir"
        case user = "User"
        case labels = "Labels"
        case exposedPorts = "ExposedPorts"
        case hostConfig = "HostConfig"
    }

    package struct HostConfig: Encodable, Sendable, Hashable {
        package var memory: Int?
        package var memorySwap: Int?
        package var nanoCpus: Int?
        package var tmpfs: [String: String]?
        package var portBindings: [String: [PortBinding]]?
        package var mounts: [Mount]?
        package var networkMode: String?

        enum CodingKeys: String, CodingKey {
            case memory = "Memory"
            case memorySwap = "MemorySwap"
            case nanoCpus = "NanoCpus"
            case tmpfs = "Tmpfs"
            case portBindings = "PortBindings"
            case mounts = "Mounts"
            case networkMode = "NetworkMode"
        }
    }

    package struct Mount: Encodable, Sendable, Hashable {
        package var type = "volume"
        package var source: String
        package var target: String
        package var readOnly = true

        package init(volume: String, at target: String, readOnly: Bool = true) {
            self.source = volume
            self.target = target
            self.readOnly = readOnly
        }

        enum CodingKeys: String, CodingKey {
            case type = "Type"
            case source = "Source"
            case target = "Target"
            case readOnly = "ReadOnly"
        }
    }
}

/// `{}`: the value of an exposed port.
package struct EmptyObject: Codable, Sendable, Hashable {
    package init() {}
}

package struct PortBinding: Codable, Sendable, Hashable {
    package var hostIp: String?
    package var hostPort: String?

    package init(hostIp: String, hostPort: String) {
        self.hostIp = hostIp
        self.hostPort = hostPort
    }

    enum CodingKeys: String, CodingKey {
        case hostIp = "HostIp"
        case hostPort = "HostPort"
    }
}

/// `GET /containers/{id}/json`.
package struct ContainerInspect: Decodable, Sendable {
    package var id: String
    package var state: State
    package var networkSettings: NetworkSettings?

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case state = "State"
        case networkSettings = "NetworkSettings"
    }

    package struct State: Decodable, Sendable {
        package var running: Bool
        package var oomKilled: Bool?
        package var exitCode: Int?
        package var status: String?

        enum CodingKeys: String, CodingKey {
            case running = "Running"
            case oomKilled = "OOMKilled"
            case exitCode = "ExitCode"
            case status = "Status"
        }
    }

    package struct NetworkSettings: Decodable, Sendable {
        package var ports: [String: [PortBinding]?]?
        package var networks: [String: Network]?

        enum CodingKeys: String, CodingKey {
            case ports = "Ports"
            case networks = "Networks"
        }
    }

    package struct Network: Decodable, Sendable {
        package var ipAddress: String?

        enum CodingKeys: String, CodingKey { case ipAddress = "IPAddress" }
    }

    /// The host port the engine published for `port` (`8080/tcp`).
    package func hostPort(for port: String) -> Int? {
        networkSettings?.ports?[port]??.compactMap { $0.hostPort.flatMap(Int.init) }.first
    }
}

/// `GET /images/{name}/json`.
package struct ImageInspect: Decodable, Sendable {
    package var id: String
    package var architecture: String?
    package var config: Config?

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case architecture = "Architecture"
        case config = "Config"
    }

    package struct Config: Decodable, Sendable {
        package var entrypoint: [String]?
        package var cmd: [String]?
        package var workingDir: String?
        package var env: [String]?
        package var user: String?

        enum CodingKeys: String, CodingKey {
            case entrypoint = "Entrypoint"
            case cmd = "Cmd"
            case workingDir = "WorkingDir"
            case env = "Env"
            case user = "User"
        }

        package init(entrypoint: [String]? = nil, cmd: [String]? = nil, workingDir: String? = nil, env: [String]? = nil, user: String? = nil) {
            self.entrypoint = entrypoint
            self.cmd = cmd
            self.workingDir = workingDir
            self.env = env
            self.user = user
        }
    }
}

/// One row of `GET /containers/json`.
package struct ContainerSummary: Decodable, Sendable {
    package var id: String
    package var labels: [String: String]?
    /// The entrypoint and command, joined by spaces (as `docker ps` shows them).
    package var command: String?

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case labels = "Labels"
        case command = "Command"
    }
}

/// `POST /containers/create`'s answer.
struct Created: Decodable {
    var id: String
    enum CodingKeys: String, CodingKey { case id = "Id" }
}

/// `POST /containers/{id}/wait`'s answer.
struct Waited: Decodable {
    var statusCode: Int
    enum CodingKeys: String, CodingKey { case statusCode = "StatusCode" }
}

/// `POST /volumes/create`'s body.
struct VolumeCreate: Encodable {
    var name: String
    var labels: [String: String]
    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case labels = "Labels"
    }
}

/// `GET /volumes`'s answer.
struct VolumeList: Decodable {
    var volumes: [Volume]?
    enum CodingKeys: String, CodingKey { case volumes = "Volumes" }

    struct Volume: Decodable {
        var name: String
        enum CodingKeys: String, CodingKey { case name = "Name" }
    }
}

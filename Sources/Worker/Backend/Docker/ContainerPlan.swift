import Foundation
import ShoalDocker
import ShoalProtocol

/// What one instance's container is, as a pure value: the image's own entrypoint and command
/// (the handler as the command for a zip function, as AWS's base images take it) run under
/// `shoal rie` from the worker's bundle volume, with Lambda's environment, the function's
/// memory as a hard limit (swap equal, so an overrun is killed) and CPU in proportion to it.
struct ContainerPlan: Sendable {
    /// The port `shoal rie` listens on inside the container.
    static let invokePort = 8080
    /// Where the worker's `shoal` and its libraries are mounted.
    static let bundlePath = "/var/shoal"
    /// Lambda's ratio: 1,769 MB is one vCPU.
    static let megabytesPerCPU = 1769

    struct Settings: Sendable, Hashable {
        var workerID: String
        var region = "us-east-1"
        /// The bundle volume, and its loader's file name (`ld-linux-x86-64.so.2`).
        var bundleVolume: String
        var loader: String
        /// A user-defined network to put instances on (the worker reaches them by address);
        /// nil publishes the invoke port on 127.0.0.1.
        var network: String?
        var ephemeralStorageMB = 512
    }

    /// The labels every container of this worker carries.
    static func labels(_ function: FunctionDefinition, workerID: String, instanceID: String) -> [String: String] {
        ["shoal.worker": workerID, "shoal.function": function.poolKey, "shoal.deploy": function.deployID.rawValue, "shoal.instance": instanceID]
    }

    static func create(_ function: FunctionDefinition, instanceID: String, image: String, config: ImageInspect.Config?, settings: Settings)
        -> ContainerCreate
    {
        let isImage = function.packageType == "Image"
        let workingDirectory = isImage ? (config?.workingDir).flatMap { $0.isEmpty ? nil : $0 } ?? "/" : "/var/task"
        var command = config?.entrypoint ?? []
        command += isImage ? (config?.cmd ?? []) : [function.handler]
        if command.isEmpty, !isImage { command = ["/var/task/bootstrap"] }
        let rie =
            ["\(bundlePath)/lib/\(settings.loader)", "--library-path", "\(bundlePath)/lib", "\(bundlePath)/shoal", "rie"]
            + ["--host", "0.0.0.0", "--port", "\(invokePort)", "--timeout", "\(function.timeoutSeconds)", "--memory", "\(function.memoryMB)"]
            + ["--function-name", function.name, "--working-directory", workingDirectory, "--"]
        var spec = ContainerCreate(image: image)
        spec.entrypoint = rie + command
        spec.cmd = []
        spec.workingDir = workingDirectory
        spec.env = environment(function, instanceID: instanceID, imageEnv: config?.env ?? [], region: settings.region)
            .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        spec.labels = labels(function, workerID: settings.workerID, instanceID: instanceID)
        let bytes = function.memoryMB << 20
        spec.hostConfig.memory = bytes
        spec.hostConfig.memorySwap = bytes
        spec.hostConfig.nanoCpus = function.memoryMB * 1_000_000_000 / megabytesPerCPU
        spec.hostConfig.tmpfs = ["/tmp": "rw,exec,size=\(settings.ephemeralStorageMB)m"]
        spec.hostConfig.mounts = [.init(volume: settings.bundleVolume, at: bundlePath)]
        let port = "\(invokePort)/tcp"
        spec.exposedPorts = [port: EmptyObject()]
        if let network = settings.network {
            spec.hostConfig.networkMode = network
        } else {
            spec.hostConfig.portBindings = [port: [PortBinding(hostIp: "127.0.0.1", hostPort: "")]]
        }
        return spec
    }

    /// Lambda's variables with the container's paths. A zip function gets Lambda's PATH and
    /// library path around the image's; an image function keeps the image's own.
    static func environment(_ function: FunctionDefinition, instanceID: String, imageEnv: [String], region: String) -> [String: String] {
        var inherited: [String: String] = [:]
        for entry in imageEnv {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            inherited[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        inherited["PATH"] = inherited["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        inherited["HOME"] = inherited["HOME"] ?? "/tmp"
        var variables = LambdaEnvironment.variables(
            for: function, instanceID: instanceID, region: region, codeDirectory: URL(fileURLWithPath: "/var/task"),
            optDirectory: URL(fileURLWithPath: "/opt"), runtimeDirectory: URL(fileURLWithPath: "/var/runtime"), inherited: inherited)
        if function.packageType == "Image" {
            for key in ["PATH", "LD_LIBRARY_PATH", "PYTHONPATH", "NODE_PATH", "HOME"] { variables[key] = inherited[key] }
            variables["_HANDLER"] = function.handler.isEmpty ? nil : function.handler
        }
        return variables
    }
}

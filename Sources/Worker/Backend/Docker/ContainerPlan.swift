import Foundation
import ShoalDocker
import ShoalProtocol
import ShoalRIE

/// What one instance's container is, as a pure value: the image's own entrypoint and command
/// (the handler as the command for a zip function, as AWS's base images take it) run under
/// the emulator from the worker's bundle volume, with Lambda's environment, the function's
/// memory as a hard limit (swap equal, so an overrun is killed) and CPU in proportion to it.
struct ContainerPlan: Sendable {
    /// The port the emulator listens on inside the container.
    static let invokePort = 8080
    /// Where the worker's emulator and its libraries are mounted.
    static let bundlePath = "/var/shoal"
    /// Lambda's ratio: 1,769 MB is one vCPU.
    static let megabytesPerCPU = 1769

    /// What fronts the runtime in the container.
    enum Emulator: Sendable, Hashable {
        /// `shoal-rie` (or `shoal rie`) from the worker's bundle volume: the volume's name, its
        /// loader's file name, and the command in the container (`RIEBundle.command`).
        case shoal(volume: String, loader: String, command: [String])
        /// The image's own `/usr/local/bin/aws-lambda-rie` (AWS's base images carry it).
        case image
    }

    /// `--docker-emulator`: which emulator instances get.
    enum EmulatorSetting: String, Sendable, Hashable {
        /// Shoal's where it can run (an image of the worker's architecture), else the image's.
        case auto
        case shoal
        case image
    }

    static let imageEmulator = "/usr/local/bin/aws-lambda-rie"

    /// The emulator for an image of `architecture` (Docker's names: amd64, arm64).
    static func emulator(_ setting: EmulatorSetting, imageArchitecture architecture: String?, bundle: Emulator?) -> Emulator {
        guard let bundle, setting != .image else { return .image }
        guard setting == .auto, let architecture else { return bundle }
        return architecture == hostArchitecture ? bundle : .image
    }

    /// This machine's architecture as Docker names it.
    static var hostArchitecture: String {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch machine {
        case "x86_64": return "amd64"
        case "aarch64": return "arm64"
        default: return machine
        }
    }

    struct Settings: Sendable, Hashable {
        var workerID: String
        var region = "us-east-1"
        /// A user-defined network to put instances on (the worker reaches them by address);
        /// nil publishes the invoke port on 127.0.0.1.
        var network: String?
    }

    /// The labels every container of this worker carries.
    static func labels(_ function: FunctionDefinition, workerID: String, instanceID: String) -> [String: String] {
        ["shoal.worker": workerID, "shoal.function": function.poolKey, "shoal.deploy": function.deployID.rawValue, "shoal.instance": instanceID]
    }

    static func create(
        _ function: FunctionDefinition, instanceID: String, image: String, config: ImageInspect.Config?, emulator: Emulator, settings: Settings
    ) -> ContainerCreate {
        let isImage = function.packageType == "Image"
        let overrides = isImage ? function.imageConfig : nil
        let imageDirectory = overrides?.workingDirectory ?? (config?.workingDir).flatMap { $0.isEmpty ? nil : $0 }
        let workingDirectory = isImage ? imageDirectory ?? "/" : "/var/task"
        var command = overrides?.entryPoint ?? config?.entrypoint ?? []
        command += isImage ? (overrides?.command ?? config?.cmd ?? []) : [function.handler]
        if command.isEmpty, !isImage { command = ["/var/task/bootstrap"] }
        var spec = ContainerCreate(image: image)
        switch emulator {
        case .shoal(let volume, let loader, let emulatorCommand):
            let settings = RIESettings(
                port: invokePort, host: "0.0.0.0", timeout: Double(function.timeoutSeconds), memory: function.memoryMB,
                functionName: function.name, workingDirectory: workingDirectory, command: command)
            spec.entrypoint = ["\(bundlePath)/lib/\(loader)", "--library-path", "\(bundlePath)/lib"] + emulatorCommand + settings.workerArguments
            spec.hostConfig.mounts = [.init(volume: volume, at: bundlePath)]
        case .image:
            // AWS's emulator listens on 8080 and reads the timeout and the rest from the environment.
            spec.entrypoint = [imageEmulator] + command
        }
        spec.cmd = []
        spec.workingDir = workingDirectory
        spec.env = environment(function, instanceID: instanceID, imageEnv: config?.env ?? [], region: settings.region)
            .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        spec.labels = labels(function, workerID: settings.workerID, instanceID: instanceID)
        let bytes = function.memoryMB << 20
        spec.hostConfig.memory = bytes
        spec.hostConfig.memorySwap = bytes
        spec.hostConfig.nanoCpus = function.memoryMB * 1_000_000_000 / megabytesPerCPU
        spec.hostConfig.tmpfs = ["/tmp": "rw,exec,size=\(function.ephemeralStorageMB ?? 512)m"]
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

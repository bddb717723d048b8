/// A function as a worker knows it: its launch configuration and the content hashes of its
/// code and layers (the blobs themselves live in the worker's artifact store).
package struct FunctionDefinition: Sendable, Hashable, Codable {
    package var name: String
    package var runtime: String
    package var handler: String
    package var timeoutSeconds: Int
    package var memoryMB: Int
    package var environment: [String: String]
    package var packageType: String
    package var imageURI: String?
    /// Hex SHA-256 of the code zip (absent for image functions).
    package var codeSHA256: String?
    /// Hex SHA-256 of each layer zip, in attach order.
    package var layerSHA256s: [String]
    /// The published version this is ("1", "2", ...); nil is `$LATEST`.
    package var version: String?
    /// An image function's ENTRYPOINT, CMD and WORKDIR overrides.
    package var imageConfig: FunctionConfiguration.ImageConfig?
    /// The `/tmp` size in MB; nil is AWS's 512.
    package var ephemeralStorageMB: Int?

    package init(
        name: String, runtime: String, handler: String, timeoutSeconds: Int = 3, memoryMB: Int = 128,
        environment: [String: String] = [:], packageType: String = "Zip", imageURI: String? = nil,
        codeSHA256: String? = nil, layerSHA256s: [String] = [], version: String? = nil, imageConfig: FunctionConfiguration.ImageConfig? = nil,
        ephemeralStorageMB: Int? = nil
    ) {
        self.imageConfig = imageConfig
        self.ephemeralStorageMB = ephemeralStorageMB
        self.version = version
        self.name = name
        self.runtime = runtime
        self.handler = handler
        self.timeoutSeconds = timeoutSeconds
        self.memoryMB = memoryMB
        self.environment = environment
        self.packageType = packageType
        self.imageURI = imageURI
        self.codeSHA256 = codeSHA256
        self.layerSHA256s = layerSHA256s
    }

    /// The deploy this definition launches: any change to code, configuration or layers
    /// yields another id.
    package var deployID: DeployID { DeployID(self) }

    /// What a worker keys this definition's pool (and an invoke's `functionName`) by: the name,
    /// with the version for a published one, so each version has its own warm instances.
    package var poolKey: String { version.map { "\(name):\($0)" } ?? name }
}

/// A function as a worker knows it: its launch configuration and the content hashes of its
/// code and layers (the blobs themselves live in the worker's artifact store).
public struct FunctionDefinition: Sendable, Hashable, Codable {
    public var name: String
    public var runtime: String
    public var handler: String
    public var timeoutSeconds: Int
    public var memoryMB: Int
    public var environment: [String: String]
    public var packageType: String
    public var imageURI: String?
    /// Hex SHA-256 of the code zip (absent for image functions).
    public var codeSHA256: String?
    /// Hex SHA-256 of each layer zip, in attach order.
    public var layerSHA256s: [String]

    public init(
        name: String, runtime: String, handler: String, timeoutSeconds: Int = 3, memoryMB: Int = 128,
        environment: [String: String] = [:], packageType: String = "Zip", imageURI: String? = nil,
        codeSHA256: String? = nil, layerSHA256s: [String] = []
    ) {
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
    public var deployID: DeployID { DeployID(self) }
}

/// A function as the client API shows it (docs/api.md, Types): the shape of AWS's
/// FunctionConfiguration in camel case, so a boto3 user recognizes every field.
public struct FunctionConfiguration: Codable, Sendable, Hashable {
    public struct Environment: Codable, Sendable, Hashable {
        public var variables: [String: String]
        public init(variables: [String: String] = [:]) { self.variables = variables }
    }

    public struct Layer: Codable, Sendable, Hashable {
        public var arn: String
        public var codeSize: Int
        public init(arn: String, codeSize: Int) {
            self.arn = arn
            self.codeSize = codeSize
        }
    }

    public var functionName: String
    public var functionArn: String
    public var runtime: String
    public var handler: String
    /// Base64 of the code zip's SHA-256, as AWS reports it.
    public var codeSha256: String
    public var codeSize: Int
    public var timeout: Int
    public var memorySize: Int
    public var environment: Environment
    public var layers: [Layer]
    public var packageType: String
    public var imageUri: String?
    public var description: String?
    public var version: String
    public var lastModified: String
    public var state: String
    public var lastUpdateStatus: String

    public init(
        functionName: String, functionArn: String, runtime: String, handler: String, codeSha256: String, codeSize: Int,
        timeout: Int, memorySize: Int, environment: Environment, layers: [Layer], packageType: String, imageUri: String?,
        description: String?, lastModified: String
    ) {
        self.functionName = functionName
        self.functionArn = functionArn
        self.runtime = runtime
        self.handler = handler
        self.codeSha256 = codeSha256
        self.codeSize = codeSize
        self.timeout = timeout
        self.memorySize = memorySize
        self.environment = environment
        self.layers = layers
        self.packageType = packageType
        self.imageUri = imageUri
        self.description = description
        self.version = "$LATEST"
        self.lastModified = lastModified
        self.state = "Active"
        self.lastUpdateStatus = "Successful"
    }
}

/// A function as the client API shows it (docs/api.md, Types): the shape of AWS's
/// FunctionConfiguration in camel case, so a boto3 user recognizes every field.
public struct FunctionConfiguration: Codable, Sendable, Hashable {
    /// The function's environment variables, as AWS nests them.
    public struct Environment: Codable, Sendable, Hashable {
        /// Name to value.
        public var variables: [String: String]
        /// Creates a `Environment`.
        public init(variables: [String: String] = [:]) { self.variables = variables }
    }

    /// A layer version the function uses.
    public struct Layer: Codable, Sendable, Hashable {
        /// The layer version's ARN.
        public var arn: String
        /// The zip's size in bytes.
        public var codeSize: Int
        /// Creates a `Layer`.
        public init(arn: String, codeSize: Int) {
            self.arn = arn
            self.codeSize = codeSize
        }
    }

    /// An image function's overrides of its image's ENTRYPOINT, CMD and WORKDIR.
    public struct ImageConfig: Codable, Sendable, Hashable {
        /// Replaces the image's ENTRYPOINT.
        public var entryPoint: [String]?
        /// Replaces the image's CMD.
        public var command: [String]?
        /// Replaces the image's WORKDIR.
        public var workingDirectory: String?
        /// Creates an `ImageConfig`.
        public init(entryPoint: [String]? = nil, command: [String]? = nil, workingDirectory: String? = nil) {
            self.entryPoint = entryPoint
            self.command = command
            self.workingDirectory = workingDirectory
        }
    }

    /// How AWS returns an image function's `ImageConfig`.
    public struct ImageConfigResponse: Codable, Sendable, Hashable {
        /// The overrides.
        public var imageConfig: ImageConfig
        /// Creates an `ImageConfigResponse`.
        public init(imageConfig: ImageConfig) { self.imageConfig = imageConfig }
    }

    /// The scratch space in `/tmp`, in MB (512 to 10240), as AWS nests it.
    public struct EphemeralStorage: Codable, Sendable, Hashable {
        /// The size in MB.
        public var size: Int
        /// Creates an `EphemeralStorage`.
        public init(size: Int = 512) { self.size = size }
    }

    /// X-Ray tracing: always `PassThrough` here.
    public struct TracingConfig: Codable, Sendable, Hashable {
        /// `PassThrough` or `Active`.
        public var mode: String
        /// Creates a `TracingConfig`.
        public init(mode: String = "PassThrough") { self.mode = mode }
    }

    /// Where the function's logs would go on AWS.
    public struct LoggingConfig: Codable, Sendable, Hashable {
        /// `Text` or `JSON`.
        public var logFormat: String
        /// The CloudWatch log group, `/aws/lambda/NAME`.
        public var logGroup: String
        /// Creates a `LoggingConfig`.
        public init(logFormat: String = "Text", logGroup: String) {
            self.logFormat = logFormat
            self.logGroup = logGroup
        }
    }

    /// SnapStart: never applied here.
    public struct SnapStart: Codable, Sendable, Hashable {
        /// `None` or `PublishedVersions`.
        public var applyOn: String
        /// `On` or `Off`.
        public var optimizationStatus: String
        /// Creates a `SnapStart`.
        public init(applyOn: String = "None", optimizationStatus: String = "Off") {
            self.applyOn = applyOn
            self.optimizationStatus = optimizationStatus
        }
    }

    /// The function: a name, `NAME:QUALIFIER`, or a full or partial ARN.
    public var functionName: String
    /// The function's ARN.
    public var functionArn: String
    /// The runtime, e.g. `python3.12`, `nodejs20.x`, `provided.al2023`.
    public var runtime: String
    /// The handler, e.g. `app.handler` (`file.function`).
    public var handler: String
    /// Base64 of the code zip's SHA-256, as AWS reports it.
    public var codeSha256: String
    /// The zip's size in bytes.
    public var codeSize: Int
    /// The timeout in seconds (1 to 900).
    public var timeout: Int
    /// The memory size in MB (128 to 10240).
    public var memorySize: Int
    /// The function's environment variables.
    public var environment: Environment
    /// The layers, in attach order.
    public var layers: [Layer]
    /// `Zip` or `Image`.
    public var packageType: String
    /// The container image, for `packageType` Image.
    public var imageUri: String?
    /// An image function's ENTRYPOINT, CMD and WORKDIR overrides, when it has any.
    public var imageConfigResponse: ImageConfigResponse?
    /// A description of the function.
    public var description: String?
    /// The version.
    public var version: String
    /// When the function last changed (ISO 8601).
    public var lastModified: String
    /// `Active`.
    public var state: String
    /// `Successful`.
    public var lastUpdateStatus: String
    /// Why the function is not `Active` yet (`Creating`); nil once it is.
    public var stateReasonCode: String?
    /// The same, for people.
    public var stateReason: String?
    /// Why an update is not `Successful` yet; nil once it is.
    public var lastUpdateStatusReasonCode: String?
    /// The same, for people.
    public var lastUpdateStatusReason: String?
    /// The execution role, stored as given (nothing here assumes it).
    public var role: String?
    /// Changes with every change of the function (AWS's optimistic-locking token).
    public var revisionId: String?
    /// `x86_64` or `arm64`; instances run on this machine's architecture either way.
    public var architectures: [String]
    /// The `/tmp` size.
    public var ephemeralStorage: EphemeralStorage
    /// X-Ray tracing.
    public var tracingConfig: TracingConfig
    /// Log format and group.
    public var loggingConfig: LoggingConfig
    /// SnapStart.
    public var snapStart: SnapStart

    /// Creates a `FunctionConfiguration`.
    public init(
        functionName: String, functionArn: String, runtime: String, handler: String, codeSha256: String, codeSize: Int,
        timeout: Int, memorySize: Int, environment: Environment, layers: [Layer], packageType: String, imageUri: String?,
        description: String?, lastModified: String, role: String? = nil, revisionId: String? = nil, architectures: [String] = ["x86_64"],
        ephemeralStorage: EphemeralStorage = .init()
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
        self.role = role
        self.revisionId = revisionId
        self.architectures = architectures
        self.ephemeralStorage = ephemeralStorage
        self.tracingConfig = .init()
        self.loggingConfig = .init(logGroup: "/aws/lambda/\(functionName)")
        self.snapStart = .init()
    }
}

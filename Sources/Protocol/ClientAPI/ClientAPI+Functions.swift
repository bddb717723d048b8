/// The public JSON-RPC API a client speaks to the gateway (docs/api.md, Client methods).
///
/// Field names are docs/api.md's; optional fields may be omitted on the wire. The method
/// types are shared by the gateway (which answers them), the terminal client and the tests.
public enum ClientAPI {}

extension ClientAPI {
    /// A function's code: a zip (base64) or a container image.
    public struct Code: Codable, Sendable, Hashable {
        /// The code zip, as base64.
        public var zipFile: String?
        /// The container image, for `packageType` Image.
        public var imageUri: String?
        /// Creates a `Code`.
        public init(zipFile: String? = nil, imageUri: String? = nil) {
            self.zipFile = zipFile
            self.imageUri = imageUri
        }
    }

    /// `function.create`: a new function from a zip.
    public enum CreateFunction: RPCMethod {
        /// The parameters.
        public struct Params: Codable, Sendable {
            /// The function: a name, `NAME:QUALIFIER`, or a full or partial ARN.
            public var functionName: String
            /// The runtime, e.g. `python3.12`, `nodejs20.x`, `provided.al2023`.
            public var runtime: String?
            /// The handler, e.g. `app.handler` (`file.function`).
            public var handler: String?
            /// The code: `zipFile` (base64) or `imageUri`.
            public var code: Code
            /// The timeout in seconds (1 to 900).
            public var timeout: Int?
            /// The memory size in MB (128 to 10240).
            public var memorySize: Int?
            /// The function's environment variables.
            public var environment: FunctionConfiguration.Environment?
            /// The layers, in attach order.
            public var layers: [String]?
            /// `Zip` or `Image`.
            public var packageType: String?
            /// A description of the function.
            public var description: String?
            /// The execution role, stored as given.
            public var role: String?
            /// Tags for the function.
            public var tags: [String: String]?
            /// One of `x86_64` (the default) and `arm64`.
            public var architectures: [String]?
            /// The `/tmp` size (512 MB by default).
            public var ephemeralStorage: FunctionConfiguration.EphemeralStorage?
            /// Publishing a version with the function is not supported yet: true is refused.
            public var publish: Bool?
            /// An image function's ENTRYPOINT, CMD and WORKDIR overrides.
            public var imageConfig: FunctionConfiguration.ImageConfig?

            /// Creates the parameters.
            public init(
                functionName: String, runtime: String?, handler: String?, code: Code, timeout: Int? = nil,
                memorySize: Int? = nil, environment: FunctionConfiguration.Environment? = nil,
                layers: [String]? = nil, packageType: String? = nil, description: String? = nil, role: String? = nil,
                tags: [String: String]? = nil, architectures: [String]? = nil, ephemeralStorage: FunctionConfiguration.EphemeralStorage? = nil,
                publish: Bool? = nil, imageConfig: FunctionConfiguration.ImageConfig? = nil
            ) {
                self.imageConfig = imageConfig
                self.role = role
                self.tags = tags
                self.architectures = architectures
                self.ephemeralStorage = ephemeralStorage
                self.publish = publish
                self.functionName = functionName
                self.runtime = runtime
                self.handler = handler
                self.code = code
                self.timeout = timeout
                self.memorySize = memorySize
                self.environment = environment
                self.layers = layers
                self.packageType = packageType
                self.description = description
            }
        }
        /// The result: FunctionConfiguration.
        public typealias Result = FunctionConfiguration
        /// `function.create`, the method's name on the wire.
        public static let name = "function.create"
    }

    /// Parameters that name one function.
    public struct FunctionName: Codable, Sendable, Hashable {
        /// The function: a name, `NAME:QUALIFIER`, or a full or partial ARN.
        public var functionName: String
        /// Creates a `FunctionName`.
        public init(functionName: String) { self.functionName = functionName }
    }

    /// `function.get`: one function's configuration.
    public enum GetFunction: RPCMethod {
        /// The parameters: FunctionName.
        public typealias Params = FunctionName
        /// The result: FunctionConfiguration.
        public typealias Result = FunctionConfiguration
        /// `function.get`, the method's name on the wire.
        public static let name = "function.get"
    }

    /// `function.list`: the functions in name order, a page at a time.
    public enum ListFunctions: RPCMethod {
        /// The parameters.
        public struct Params: Codable, Sendable {
            /// Where a page starts: the previous page's `nextMarker`.
            public var marker: String?
            /// The most functions a page holds (default 50).
            public var maxItems: Int?
            /// Creates the parameters.
            public init(marker: String? = nil, maxItems: Int? = nil) {
                self.marker = marker
                self.maxItems = maxItems
            }
        }
        /// The result.
        public struct Result: Codable, Sendable {
            /// The functions.
            public var functions: [FunctionConfiguration]
            /// Where the next page starts; nil on the last page.
            public var nextMarker: String?
            /// Creates the result.
            public init(functions: [FunctionConfiguration], nextMarker: String?) {
                self.functions = functions
                self.nextMarker = nextMarker
            }
        }
        /// `function.list`, the method's name on the wire.
        public static let name = "function.list"
    }

    /// `function.updateCode`.
    public enum UpdateFunctionCode: RPCMethod {
        /// The parameters.
        public struct Params: Codable, Sendable {
            /// The function: a name, `NAME:QUALIFIER`, or a full or partial ARN.
            public var functionName: String
            /// The code zip, as base64.
            public var zipFile: String
            /// Creates the parameters.
            public init(functionName: String, zipFile: String) {
                self.functionName = functionName
                self.zipFile = zipFile
            }
        }
        /// The result: FunctionConfiguration.
        public typealias Result = FunctionConfiguration
        /// `function.updateCode`, the method's name on the wire.
        public static let name = "function.updateCode"
    }

    /// `function.updateConfiguration`.
    public enum UpdateFunctionConfiguration: RPCMethod {
        /// The parameters.
        public struct Params: Codable, Sendable {
            /// The function: a name, `NAME:QUALIFIER`, or a full or partial ARN.
            public var functionName: String
            /// The handler, e.g. `app.handler` (`file.function`).
            public var handler: String?
            /// The runtime, e.g. `python3.12`, `nodejs20.x`, `provided.al2023`.
            public var runtime: String?
            /// The timeout in seconds (1 to 900).
            public var timeout: Int?
            /// The memory size in MB (128 to 10240).
            public var memorySize: Int?
            /// The function's environment variables.
            public var environment: FunctionConfiguration.Environment?
            /// The layers, in attach order.
            public var layers: [String]?
            /// A description of the function.
            public var description: String?
            /// The execution role, stored as given.
            public var role: String?
            /// The `/tmp` size.
            public var ephemeralStorage: FunctionConfiguration.EphemeralStorage?
            /// An image function's ENTRYPOINT, CMD and WORKDIR overrides.
            public var imageConfig: FunctionConfiguration.ImageConfig?
            /// Creates the parameters.
            public init(
                functionName: String, handler: String? = nil, runtime: String? = nil, timeout: Int? = nil, memorySize: Int? = nil,
                environment: FunctionConfiguration.Environment? = nil, layers: [String]? = nil, description: String? = nil,
                role: String? = nil, ephemeralStorage: FunctionConfiguration.EphemeralStorage? = nil,
                imageConfig: FunctionConfiguration.ImageConfig? = nil
            ) {
                self.imageConfig = imageConfig
                self.role = role
                self.ephemeralStorage = ephemeralStorage
                self.functionName = functionName
                self.handler = handler
                self.runtime = runtime
                self.timeout = timeout
                self.memorySize = memorySize
                self.environment = environment
                self.layers = layers
                self.description = description
            }
        }
        /// The result: FunctionConfiguration.
        public typealias Result = FunctionConfiguration
        /// `function.updateConfiguration`, the method's name on the wire.
        public static let name = "function.updateConfiguration"
    }

    /// `function.delete`: a function and its instances.
    public enum DeleteFunction: RPCMethod {
        /// The parameters: FunctionName.
        public typealias Params = FunctionName
        /// The result: Empty.
        public typealias Result = Empty
        /// `function.delete`, the method's name on the wire.
        public static let name = "function.delete"
    }

    /// `function.owner`: the worker that runs a function now.
    public enum FunctionOwner: RPCMethod {
        /// The parameters: FunctionName.
        public typealias Params = FunctionName
        /// The result.
        public struct Result: Codable, Sendable {
            /// The id of the worker.
            public var worker: String
            /// Creates the result.
            public init(worker: String) { self.worker = worker }
        }
        /// `function.owner`, the method's name on the wire.
        public static let name = "function.owner"
    }

    /// `layer.publish`: a new version of a layer from a zip.
    public enum PublishLayer: RPCMethod {
        /// The parameters.
        public struct Params: Codable, Sendable {
            /// The layer's name.
            public var layerName: String
            /// The code zip, as base64.
            public var zipFile: String
            /// The runtimes the layer is for (informational).
            public var compatibleRuntimes: [String]?
            /// The architectures the layer is for (informational).
            public var compatibleArchitectures: [String]?
            /// A description of this version.
            public var description: String?
            /// The layer's license, as given.
            public var licenseInfo: String?
            /// Creates the parameters.
            public init(
                layerName: String, zipFile: String, compatibleRuntimes: [String]? = nil, compatibleArchitectures: [String]? = nil,
                description: String? = nil, licenseInfo: String? = nil
            ) {
                self.layerName = layerName
                self.zipFile = zipFile
                self.compatibleRuntimes = compatibleRuntimes
                self.compatibleArchitectures = compatibleArchitectures
                self.description = description
                self.licenseInfo = licenseInfo
            }
        }
        /// The result.
        public struct Result: Codable, Sendable, Hashable {
            /// The layer's ARN.
            public var layerArn: String
            /// The ARN of this version of the layer.
            public var layerVersionArn: String
            /// The version.
            public var version: Int
            /// Base64 of the zip's SHA-256, as AWS gives it.
            public var codeSha256: String
            /// The zip's size in bytes.
            public var codeSize: Int
            /// Creates the result.
            public init(layerArn: String, layerVersionArn: String, version: Int, codeSha256: String, codeSize: Int) {
                self.layerArn = layerArn
                self.layerVersionArn = layerVersionArn
                self.version = version
                self.codeSha256 = codeSha256
                self.codeSize = codeSize
            }
        }
        /// `layer.publish`, the method's name on the wire.
        public static let name = "layer.publish"
    }
}

extension ClientAPI {
    /// `function.publishVersion`: a new immutable version from `$LATEST`'s code and
    /// configuration; when nothing changed since the last version, that version.
    public enum PublishVersion: RPCMethod {
        /// The parameters.
        public struct Params: Codable, Sendable {
            /// The function: a name or an unqualified ARN.
            public var functionName: String
            /// `$LATEST`'s code hash (base64), to publish only that code.
            public var codeSha256: String?
            /// The version's description.
            public var description: String?
            /// Creates the parameters.
            public init(functionName: String, codeSha256: String? = nil, description: String? = nil) {
                self.functionName = functionName
                self.codeSha256 = codeSha256
                self.description = description
            }
        }
        /// The result: the version's FunctionConfiguration.
        public typealias Result = FunctionConfiguration
        /// `function.publishVersion`, the method's name on the wire.
        public static let name = "function.publishVersion"
    }

    /// `function.listVersions`: `$LATEST` and the published versions, oldest first.
    public enum ListVersions: RPCMethod {
        /// The parameters.
        public struct Params: Codable, Sendable {
            /// The function: a name or an unqualified ARN.
            public var functionName: String
            /// Where a page starts: the previous page's `nextMarker`.
            public var marker: String?
            /// The most versions a page holds (default 50).
            public var maxItems: Int?
            /// Creates the parameters.
            public init(functionName: String, marker: String? = nil, maxItems: Int? = nil) {
                self.functionName = functionName
                self.marker = marker
                self.maxItems = maxItems
            }
        }
        /// The result.
        public struct Result: Codable, Sendable {
            /// The versions.
            public var versions: [FunctionConfiguration]
            /// Where the next page starts; nil on the last page.
            public var nextMarker: String?
            /// Creates the result.
            public init(versions: [FunctionConfiguration], nextMarker: String?) {
                self.versions = versions
                self.nextMarker = nextMarker
            }
        }
        /// `function.listVersions`, the method's name on the wire.
        public static let name = "function.listVersions"
    }
}

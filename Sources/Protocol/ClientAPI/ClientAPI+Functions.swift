/// The public JSON-RPC API a client speaks to the gateway (docs/api.md, Client methods).
///
/// Field names are docs/api.md's; optional fields may be omitted on the wire. The method
/// types are shared by the gateway (which answers them), the terminal client and the tests.
public enum ClientAPI {}

extension ClientAPI {
    public struct Code: Codable, Sendable, Hashable {
        public var zipFile: String?
        public var imageUri: String?
        public init(zipFile: String? = nil, imageUri: String? = nil) {
            self.zipFile = zipFile
            self.imageUri = imageUri
        }
    }

    public enum CreateFunction: RPCMethod {
        public struct Params: Codable, Sendable {
            public var functionName: String
            public var runtime: String?
            public var handler: String?
            public var code: Code
            public var timeout: Int?
            public var memorySize: Int?
            public var environment: FunctionConfiguration.Environment?
            public var layers: [String]?
            public var packageType: String?
            public var description: String?

            public init(
                functionName: String, runtime: String?, handler: String?, code: Code, timeout: Int? = nil,
                memorySize: Int? = nil, environment: FunctionConfiguration.Environment? = nil,
                layers: [String]? = nil, packageType: String? = nil, description: String? = nil
            ) {
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
        public typealias Result = FunctionConfiguration
        public static let name = "function.create"
    }

    public struct FunctionName: Codable, Sendable, Hashable {
        public var functionName: String
        public init(functionName: String) { self.functionName = functionName }
    }

    public enum GetFunction: RPCMethod {
        public typealias Params = FunctionName
        public typealias Result = FunctionConfiguration
        public static let name = "function.get"
    }

    public enum ListFunctions: RPCMethod {
        public struct Params: Codable, Sendable {
            public var marker: String?
            public var maxItems: Int?
            public init(marker: String? = nil, maxItems: Int? = nil) {
                self.marker = marker
                self.maxItems = maxItems
            }
        }
        public struct Result: Codable, Sendable {
            public var functions: [FunctionConfiguration]
            public var nextMarker: String?
            public init(functions: [FunctionConfiguration], nextMarker: String?) {
                self.functions = functions
                self.nextMarker = nextMarker
            }
        }
        public static let name = "function.list"
    }

    public enum UpdateFunctionCode: RPCMethod {
        public struct Params: Codable, Sendable {
            public var functionName: String
            public var zipFile: String
            public init(functionName: String, zipFile: String) {
                self.functionName = functionName
                self.zipFile = zipFile
            }
        }
        public typealias Result = FunctionConfiguration
        public static let name = "function.updateCode"
    }

    public enum UpdateFunctionConfiguration: RPCMethod {
        public struct Params: Codable, Sendable {
            public var functionName: String
            public var handler: String?
            public var runtime: String?
            public var timeout: Int?
            public var memorySize: Int?
            public var environment: FunctionConfiguration.Environment?
            public var layers: [String]?
            public var description: String?
            public init(
                functionName: String, handler: String? = nil, runtime: String? = nil, timeout: Int? = nil, memorySize: Int? = nil,
                environment: FunctionConfiguration.Environment? = nil, layers: [String]? = nil, description: String? = nil
            ) {
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
        public typealias Result = FunctionConfiguration
        public static let name = "function.updateConfiguration"
    }

    public enum DeleteFunction: RPCMethod {
        public typealias Params = FunctionName
        public typealias Result = Empty
        public static let name = "function.delete"
    }

    public enum FunctionOwner: RPCMethod {
        public typealias Params = FunctionName
        public struct Result: Codable, Sendable {
            public var worker: String
            public init(worker: String) { self.worker = worker }
        }
        public static let name = "function.owner"
    }

    public enum PublishLayer: RPCMethod {
        public struct Params: Codable, Sendable {
            public var layerName: String
            public var zipFile: String
            public var compatibleRuntimes: [String]?
            public init(layerName: String, zipFile: String, compatibleRuntimes: [String]? = nil) {
                self.layerName = layerName
                self.zipFile = zipFile
                self.compatibleRuntimes = compatibleRuntimes
            }
        }
        public struct Result: Codable, Sendable, Hashable {
            public var layerArn: String
            public var layerVersionArn: String
            public var version: Int
            public var codeSha256: String
            public var codeSize: Int
            public init(layerArn: String, layerVersionArn: String, version: Int, codeSha256: String, codeSize: Int) {
                self.layerArn = layerArn
                self.layerVersionArn = layerVersionArn
                self.version = version
                self.codeSha256 = codeSha256
                self.codeSize = codeSize
            }
        }
        public static let name = "layer.publish"
    }
}

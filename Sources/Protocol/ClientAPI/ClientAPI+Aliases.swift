extension ClientAPI {
    /// How an alias splits its invocations: the share of each additional version (0 to 1);
    /// the rest go to the alias's `functionVersion`.
    public struct AliasRoutingConfig: Codable, Sendable, Hashable {
        /// Version to weight; at most one.
        public var additionalVersionWeights: [String: Double]
        /// Creates an `AliasRoutingConfig`.
        public init(additionalVersionWeights: [String: Double]) { self.additionalVersionWeights = additionalVersionWeights }
    }

    /// An alias: a name that points at a version (AWS's AliasConfiguration in camel case).
    public struct AliasConfiguration: Codable, Sendable, Hashable {
        /// The function's ARN with the alias name.
        public var aliasArn: String
        /// The alias name.
        public var name: String
        /// The version it points at.
        public var functionVersion: String
        /// A description of the alias.
        public var description: String
        /// The weighted split, if any.
        public var routingConfig: AliasRoutingConfig?
        /// Changes with every change of the alias.
        public var revisionId: String
        /// Creates an `AliasConfiguration`.
        public init(
            aliasArn: String, name: String, functionVersion: String, description: String, routingConfig: AliasRoutingConfig?, revisionId: String
        ) {
            self.aliasArn = aliasArn
            self.name = name
            self.functionVersion = functionVersion
            self.description = description
            self.routingConfig = routingConfig
            self.revisionId = revisionId
        }
    }

    /// Parameters of `alias.create` and `alias.update` (where every member but the names is optional).
    public struct AliasParams: Codable, Sendable, Hashable {
        /// The function: a name or an unqualified ARN.
        public var functionName: String
        /// The alias name: 1 to 128 of `[A-Za-z0-9_-]`, not all digits.
        public var name: String
        /// The version it points at (`$LATEST` or a number).
        public var functionVersion: String?
        /// A description of the alias.
        public var description: String?
        /// The weighted split.
        public var routingConfig: AliasRoutingConfig?
        /// Creates the parameters.
        public init(
            functionName: String, name: String, functionVersion: String? = nil, description: String? = nil, routingConfig: AliasRoutingConfig? = nil
        ) {
            self.functionName = functionName
            self.name = name
            self.functionVersion = functionVersion
            self.description = description
            self.routingConfig = routingConfig
        }
    }

    /// Parameters naming one alias.
    public struct AliasName: Codable, Sendable, Hashable {
        /// The function: a name or an unqualified ARN.
        public var functionName: String
        /// The alias name.
        public var name: String
        /// Creates the parameters.
        public init(functionName: String, name: String) {
            self.functionName = functionName
            self.name = name
        }
    }

    /// `alias.create`: a new alias; 409 when the name is taken.
    public enum CreateAlias: RPCMethod {
        /// The parameters: AliasParams (`functionVersion` required).
        public typealias Params = AliasParams
        /// The result: AliasConfiguration.
        public typealias Result = AliasConfiguration
        /// `alias.create`, the method's name on the wire.
        public static let name = "alias.create"
    }

    /// `alias.get`: one alias.
    public enum GetAlias: RPCMethod {
        /// The parameters: AliasName.
        public typealias Params = AliasName
        /// The result: AliasConfiguration.
        public typealias Result = AliasConfiguration
        /// `alias.get`, the method's name on the wire.
        public static let name = "alias.get"
    }

    /// `alias.update`: changes what is given.
    public enum UpdateAlias: RPCMethod {
        /// The parameters: AliasParams.
        public typealias Params = AliasParams
        /// The result: AliasConfiguration.
        public typealias Result = AliasConfiguration
        /// `alias.update`, the method's name on the wire.
        public static let name = "alias.update"
    }

    /// `alias.delete`: removes an alias; a missing one is no error (as AWS).
    public enum DeleteAlias: RPCMethod {
        /// The parameters: AliasName.
        public typealias Params = AliasName
        /// The result: Empty.
        public typealias Result = Empty
        /// `alias.delete`, the method's name on the wire.
        public static let name = "alias.delete"
    }

    /// `alias.list`: a function's aliases in name order.
    public enum ListAliases: RPCMethod {
        /// The parameters.
        public struct Params: Codable, Sendable {
            /// The function: a name or an unqualified ARN.
            public var functionName: String
            /// Only the aliases that point at this version.
            public var functionVersion: String?
            /// Creates the parameters.
            public init(functionName: String, functionVersion: String? = nil) {
                self.functionName = functionName
                self.functionVersion = functionVersion
            }
        }
        /// The result.
        public struct Result: Codable, Sendable {
            /// The aliases.
            public var aliases: [AliasConfiguration]
            /// Creates the result.
            public init(aliases: [AliasConfiguration]) { self.aliases = aliases }
        }
        /// `alias.list`, the method's name on the wire.
        public static let name = "alias.list"
    }
}

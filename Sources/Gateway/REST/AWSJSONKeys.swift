import Foundation

/// The REST API spells members in PascalCase (`FunctionName`, `Code.ZipFile`); the JSON-RPC
/// types spell the same members in camelCase. Converting the keys of a JSON tree lets the REST
/// facade decode into, and encode from, the one set of types the gateway service speaks.
package enum AWSJSONKeys {
    /// Members whose values are maps of the user's own keys (variable names, tag keys,
    /// versions), which keep their spelling.
    static let userKeyedMembers: Set<String> = ["Variables", "variables", "Tags", "tags", "AdditionalVersionWeights", "additionalVersionWeights"]

    /// PascalCase keys to camelCase, for decoding a REST body into a JSON-RPC type.
    package static func camelCased(_ json: Any) -> Any { converted(json) { $0.prefix(1).lowercased() + $0.dropFirst() } }

    /// camelCase keys to PascalCase, for encoding a JSON-RPC type as a REST body.
    package static func pascalCased(_ json: Any) -> Any { converted(json) { $0.prefix(1).uppercased() + $0.dropFirst() } }

    private static func converted(_ json: Any, _ key: (String) -> String) -> Any {
        switch json {
        case let object as [String: Any]:
            var result: [String: Any] = [:]
            for (name, value) in object {
                result[key(name)] = userKeyedMembers.contains(name) ? value : converted(value, key)
            }
            return result
        case let array as [Any]:
            return array.map { converted($0, key) }
        default:
            return json
        }
    }

    /// A REST body decoded as `T`: not JSON, or JSON of the wrong shape, is AWS's 400.
    package static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], adding extra: [String: Any] = [:]) throws(RESTError) -> T {
        let object: Any
        do {
            object = body.isEmpty ? [String: Any]() : try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        } catch {
            throw RESTError.badBody("not JSON")
        }
        guard var tree = camelCased(object) as? [String: Any] else { throw RESTError.badBody("the body must be a JSON object") }
        tree.merge(extra) { _, added in added }
        do {
            return try JSONDecoder().decode(T.self, from: try JSONSerialization.data(withJSONObject: tree))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw RESTError.badBody("wrong type at \(path(context.codingPath))")
        } catch let DecodingError.keyNotFound(key, _) {
            throw RESTError.validation("null", member: key.stringValue, constraint: "Member must not be null")
        } catch {
            throw RESTError.badBody("\(error)")
        }
    }

    /// `value` as a REST body.
    package static func encode(_ value: some Encodable) -> [UInt8] {
        guard let data = try? JSONEncoder().encode(value), let tree = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
            let out = try? JSONSerialization.data(withJSONObject: pascalCased(tree), options: [.fragmentsAllowed, .withoutEscapingSlashes])
        else { return Array("{}".utf8) }
        return Array(out)
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.stringValue.prefix(1).uppercased() + $0.stringValue.dropFirst() }.joined(separator: ".")
    }
}

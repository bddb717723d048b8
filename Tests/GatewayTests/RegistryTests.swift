import Foundation
import ShoalProtocol
import ShoalTestSupport
import Testing

@testable import ShoalGateway

/// The registry on its own: validation, persistence across instances, leftovers of a crash.
@Suite struct RegistryTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-registry-\(UUID().uuidString)").path

    func params(_ name: String, files: [String: String] = ["app.py": "x"], timeout: Int? = nil, layers: [String]? = nil)
        -> ClientAPI.CreateFunction.Params
    {
        .init(
            functionName: name, runtime: "python3.12", handler: "app.handler",
            code: .init(zipFile: Data(TestZip.make(files)).base64EncodedString()), timeout: timeout, layers: layers)
    }

    @Test func functionsAndLayersSurviveANewRegistryOnTheSameDirectory() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = try await FunctionRegistry(directory: directory)
        let layer = try await registry.publishLayer(
            .init(layerName: "shared", zipFile: Data(TestZip.make(["python/lib.py": "y"])).base64EncodedString()))
        #expect(layer.version == 1 && layer.layerVersionArn == "arn:aws:lambda:us-east-1:000000000000:layer:shared:1")
        let created = try await registry.create(params("keep", layers: [layer.layerVersionArn]))
        #expect(created.layers.map(\.sha256).count == 1 && created.codeSize > 0)
        _ = try await registry.updateConfiguration(.init(functionName: "keep", timeout: 30))
        // A crash mid-write leaves a temporary file; it is ignored and removed on load.
        try Data("{torn".utf8).write(to: URL(fileURLWithPath: "\(directory)/functions/other.json\(AtomicFile.temporaryMarker)x"))

        let reopened = try await FunctionRegistry(directory: directory)
        let record = try reopened.function("arn:aws:lambda:us-east-1:000000000000:function:keep")
        #expect(record.timeout == 30 && record.layers == created.layers && record.codeSHA256 == created.codeSHA256)
        #expect(try await reopened.blob(record.codeSHA256!) == TestZip.make(["app.py": "x"]))
        #expect(reopened.allFunctions.map(\.name) == ["keep"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory)/functions") == ["keep.json"])
        let next = try await reopened.publishLayer(.init(layerName: "shared", zipFile: Data(TestZip.make(["b": "z"])).base64EncodedString()))
        #expect(next.version == 2)
        let (routed, deployID) = try reopened.routable("keep")
        #expect(routed == record && deployID == record.definition.deployID.rawValue)
    }

    @Test func createRefusesWhatAWSRefuses() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = try await FunctionRegistry(directory: directory)
        _ = try await registry.create(params("taken"))
        func code(_ body: () async throws -> Void) async -> RPCError.Code? {
            do {
                try await body()
                return nil
            } catch { return (error as? any RPCErrorConvertible)?.rpcError.code }
        }
        #expect(await code { _ = try await registry.create(params("taken")) } == .resourceConflict)
        #expect(await code { _ = try await registry.create(params("bad name")) } == .invalidParams)
        #expect(await code { _ = try await registry.create(params("t", timeout: 0)) } == .invalidParams)
        #expect(
            await code { _ = try await registry.create(params("l", layers: ["arn:aws:lambda:us-east-1:000000000000:layer:none:1"])) }
                == .resourceNotFound)
        var badHandler = params("h")
        badHandler.handler = "nodot"
        #expect(await code { _ = try await registry.create(badHandler) } == .invalidParams)
        var badEnvironment = params("e")
        badEnvironment.environment = .init(variables: ["1BAD": "x"])
        #expect(await code { _ = try await registry.create(badEnvironment) } == .invalidParams)
        var notZip = params("z")
        notZip.code = .init(zipFile: Data("not a zip".utf8).base64EncodedString())
        #expect(await code { _ = try await registry.create(notZip) } == .invalidParams)
        #expect(await code { try await registry.delete("nobody") } == .resourceNotFound)
        #expect(registry.allFunctions.map(\.name) == ["taken"])
    }

    /// Every form of `FunctionName` AWS takes reaches the function; a qualifier other than
    /// `$LATEST` (the only version here) is not found, and none may name a new function.
    @Test func aFunctionIsFoundByEachFormOfItsNameAndOnlyAtLATEST() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = try await FunctionRegistry(directory: directory)
        _ = try await registry.create(params("fn"))
        for reference in [
            "fn", "fn:$LATEST", "000000000000:function:fn", "000000000000:function:fn:$LATEST",
            "arn:aws:lambda:us-east-1:000000000000:function:fn", "arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST",
        ] {
            #expect((try? registry.function(reference))?.name == "fn", "\(reference)")
        }
        for (reference, shown) in [
            ("fn:1", "fn:1"), ("fn:prod", "fn:prod"), ("arn:aws:lambda:us-east-1:000000000000:function:fn:2", "fn:2"),
            ("other", "other"),
        ] {
            #expect(throws: GatewayError(.functionNotFound, "Function not found: arn:aws:lambda:us-east-1:000000000000:function:\(shown)")) {
                try registry.function(reference)
            }
        }
        // No form of a name: AWS answers a validation error, not "not found".
        let malformed = #expect(throws: GatewayError.self) { try registry.function("a:b:c") }
        #expect(malformed?.code == .invalidParameter)
        for name in ["new:1", "new:$LATEST"] {
            await #expect(throws: GatewayError.self) { _ = try await registry.create(params(name)) }
        }
        _ = try await registry.create(params("arn:aws:lambda:us-east-1:000000000000:function:new"))
        #expect(registry.allFunctions.map(\.name) == ["fn", "new"])
    }

    /// A name no function could have is a bad parameter (-32602), not a missing function, and
    /// its error quotes a few hundred bytes of it, not all of it.
    @Test func aHugeOrMalformedNameIsABadParameterWithAShortMessage() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = try await FunctionRegistry(directory: directory)
        for name in [
            String(repeating: "f", count: 1_000_000), "bad name!",
            "arn:aws:lambda:us-east-1:000000000000:function:\(String(repeating: "g", count: 100))",
        ] {
            let error = #expect(throws: GatewayError.self) { _ = try registry.function(name) }
            #expect(error?.rpcError.code == .invalidParams, "\(name.prefix(60))")
            #expect((error?.message.utf8.count ?? .max) < 600)
        }
        let missing = #expect(throws: GatewayError.self) { _ = try registry.function("valid-but-absent") }
        #expect(missing?.rpcError.code == .resourceNotFound)
    }

    @Test func listingPagesInNameOrder() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = try await FunctionRegistry(directory: directory)
        for name in ["c", "a", "b", "d", "e"] { _ = try await registry.create(params(name)) }
        let first = await registry.list(marker: nil, maxItems: 2)
        #expect(first.functions.map(\.name) == ["a", "b"] && first.nextMarker == "b")
        let rest = await registry.list(marker: "b", maxItems: 10)
        #expect(rest.functions.map(\.name) == ["c", "d", "e"] && rest.nextMarker == nil)
    }

    @Test func base64LengthsAndCodeHashesAreComputedWithoutSurprises() {
        for count in 0..<10 {
            let text = Data(repeating: 7, count: count).base64EncodedString()
            #expect(Base64.decodedCount(text) == count)
        }
        #expect(FunctionRecord.base64OfHex("00ff10") == Data([0, 255, 16]).base64EncodedString())
        #expect(ARNs.functionName(from: "arn:aws:lambda:eu-west-1:123456789012:function:f") == "f")
        #expect(ARNs.layerVersion(from: "arn:aws:lambda:us-east-1:000000000000:layer:x:3")! == ("x", 3))
    }

    @Test func metricsRenderAsPrometheusText() {
        let metrics = GatewayMetrics()
        metrics.recordAnswer(worker: "w1", functionError: false, coldStart: false, seconds: 0.0003)
        metrics.recordAnswer(worker: "w1", functionError: true, coldStart: true, seconds: 0.002)
        metrics.increment(.retries, labels: [("worker", "w1")])
        let text = metrics.render(gauges: [
            .init(name: "shoal_functions", help: "Functions.", samples: [([], 3)]),
            .init(name: "shoal_in_flight", help: "In flight.", samples: [([("worker", #"a "quoted" \ name"#)], 1)]),
        ])
        #expect(text.contains("# TYPE shoal_invocations_total counter\nshoal_invocations_total{worker=\"w1\",type=\"RequestResponse\"} 2\n"))
        #expect(text.contains("# TYPE shoal_function_errors_total counter\nshoal_function_errors_total{worker=\"w1\"} 1\n"))
        #expect(text.contains("# TYPE shoal_cold_starts_total counter\nshoal_cold_starts_total{worker=\"w1\"} 1\n"))
        #expect(text.contains("shoal_invoke_retries_total{worker=\"w1\"} 1\n"))
        #expect(metrics.value(.invocations, labels: [("worker", "w1"), ("type", "RequestResponse")]) == 2)
        #expect(text.contains("shoal_invocation_duration_seconds_bucket{worker=\"w1\",le=\"0.00025\"} 0\n"))
        #expect(text.contains("shoal_invocation_duration_seconds_bucket{worker=\"w1\",le=\"0.0005\"} 1\n"))
        #expect(text.contains("shoal_invocation_duration_seconds_bucket{worker=\"w1\",le=\"0.0025\"} 2\n"))
        #expect(text.contains("shoal_invocation_duration_seconds_count{worker=\"w1\"} 2\n"))
        #expect(text.contains("# TYPE shoal_functions gauge\nshoal_functions 3.0\n"))
        #expect(text.contains(#"shoal_in_flight{worker="a \"quoted\" \\ name"} 1"#), "label values are escaped: \(text)")
        // A gauge the next scrape does not set is gone.
        #expect(!metrics.render(gauges: []).contains("shoal_in_flight"))
    }
}

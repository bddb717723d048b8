import Foundation
import ShoalProtocol
import ShoalTestSupport
import ShoalZip
import Testing

@testable import ShoalGateway

/// The gateway inflates an upload once before it takes it, so a damaged or oversized zip is
/// refused at create, as Lambda refuses it, and not at the first invoke.
@Suite struct ZipContentTests {
    /// A stored zip of one file whose content bytes, not its headers, are damaged: it
    /// inflates, so only the CRC-32 can tell.
    static func damaged() -> [UInt8] {
        var bytes = TestZip.make(["app.py": "def handler(event, context):\n    return 1\n" + String(repeating: "#", count: 200)])
        let at = try! #require(bytes.firstIndex(of: UInt8(ascii: "#")))
        bytes[at + 100] = UInt8(ascii: "x")
        return bytes
    }

    @Test func aSoundZipPasses() throws {
        try ZipContent.verify(TestZip.make(["app.py": "x", "lib/util.py": String(repeating: "y", count: 10_000)]))
    }

    @Test func anEntryWhoseBytesDoNotMatchItsCRCIsRefused() throws {
        #expect(throws: Never.self, "the layout is sound: only the content check can catch this") {
            _ = try ZipArchive(Self.damaged())
        }
        let error = #expect(throws: GatewayError.self) { try ZipContent.verify(Self.damaged()) }
        #expect(error?.code == .invalidParameter && error?.message.contains("CRC-32") == true)
    }

    @Test func inflatingStopsAtTheLimitAndTheZipIsRefused() throws {
        let zip = TestZip.make(["a.bin": String(repeating: "a", count: 600), "b.bin": String(repeating: "b", count: 600)])
        try ZipContent.verify(zip, unzippedLimit: 1_200)
        let error = #expect(throws: GatewayError.self) { try ZipContent.verify(zip, unzippedLimit: 1_199) }
        #expect(error?.code == .invalidParameter && error?.message == "Unzipped size must be smaller than 1199 bytes")
    }

    /// What the gateway must refuse at the door, and a word its message must hold: damage, and
    /// every way an entry could land outside the code directory (README: "refused at create").
    static let refused: [(name: String, zip: @Sendable () throws -> [UInt8], says: String)] = [
        ("damaged", { damaged() }, "CRC-32"),
        ("zip slip", { TestZip.make(["app.py": "x", "../../evil.py": "boom"]) }, "leaves the code directory"),
        ("absolute path", { TestZip.make(["app.py": "x", "/etc/evil.py": "boom"]) }, "absolute path"),
        ("link out", { try PythonZip.make([.init("app.py", "x"), .init("lib", "../../etc", link: true)]) }, "points outside"),
        (
            "chained links out",
            {
                try PythonZip.make([.init("app.py", "x"), .init("a/up", "..", link: true), .init("b", "a/up/..", link: true)])
            }, "points outside"
        ),
    ]

    @Test(arguments: 0..<refused.count)
    func createUpdateAndPublishRefuseABadZipAndStoreNothing(_ index: Int) async throws {
        let (_, makeZip, says) = Self.refused[index]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-zipcontent-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = try await FunctionRegistry(directory: directory)
        let damaged = Data(try makeZip()).base64EncodedString()
        func code(_ body: () async throws -> Void) async -> RPCError.Code? {
            do {
                try await body()
                return nil
            } catch {
                let rpcError = (error as? any RPCErrorConvertible)?.rpcError
                #expect(rpcError?.message.contains(says) == true, "\(error)")
                return rpcError?.code
            }
        }
        let create = ClientAPI.CreateFunction.Params(
            functionName: "bad", runtime: "python3.12", handler: "app.handler", code: .init(zipFile: damaged))
        #expect(await code { _ = try await registry.create(create) } == .invalidParams)
        #expect(registry.allFunctions.isEmpty)
        let good = ClientAPI.CreateFunction.Params(
            functionName: "good", runtime: "python3.12", handler: "app.handler",
            code: .init(zipFile: Data(TestZip.make(["app.py": "x"])).base64EncodedString())
        )
        let record = try await registry.create(good)
        #expect(await code { _ = try await registry.updateCode(.init(functionName: "good", zipFile: damaged)) } == .invalidParams)
        #expect(try registry.function("good").codeSHA256 == record.codeSHA256, "the old code stays")
        #expect(await code { _ = try await registry.publishLayer(.init(layerName: "bad", zipFile: damaged)) } == .invalidParams)
        let blobs = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/blobs")
        #expect(blobs == [record.codeSHA256!], "only the good function's code was stored: \(blobs)")
    }
}

import ShoalProtocol

/// The image a zip function's runtime runs on: AWS's Lambda base image for it, unless
/// `--runtime-image RUNTIME=IMAGE` names another.
package struct RuntimeImages: Sendable, Hashable {
    var overrides: [String: String] = [:]

    /// AWS's base image for a runtime, where AWS publishes one.
    static func awsBaseImage(_ runtime: String) -> String? {
        switch runtime {
        case let python where python.hasPrefix("python3."): "public.ecr.aws/lambda/python:\(python.dropFirst("python".count))"
        case let node where node.hasPrefix("nodejs") && node.hasSuffix(".x"):
            "public.ecr.aws/lambda/nodejs:\(node.dropFirst("nodejs".count).dropLast(2))"
        case "provided.al2023": "public.ecr.aws/lambda/provided:al2023"
        case "provided.al2": "public.ecr.aws/lambda/provided:al2"
        default: nil
        }
    }

    func image(for runtime: String) throws(WorkerError) -> String {
        guard let image = overrides[runtime] ?? Self.awsBaseImage(runtime) else {
            throw WorkerError(
                .invalidParameter, "no image is configured for runtime \(runtime): start the worker with --runtime-image \(runtime)=IMAGE")
        }
        return image
    }

    /// `RUNTIME=IMAGE`, as the option takes it.
    package static func parse(_ option: String) -> (runtime: String, image: String)? {
        guard let equals = option.firstIndex(of: "=") else { return nil }
        let runtime = String(option[..<equals])
        let image = String(option[option.index(after: equals)...])
        return runtime.isEmpty || image.isEmpty ? nil : (runtime, image)
    }
}

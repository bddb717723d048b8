import Foundation
import ShoalRuntimeInterface
import Testing

/// The Kubernetes manifests (deploy/kubernetes) render with kustomize and every object
/// validates against Kubernetes 1.35 (kubectl and kubernetes-validate from PyPI, in the venv
/// scripts/test makes; no API server is needed).
@Suite struct DeployManifestTests {
    static let kubernetesVersion = "1.35.0"
    /// The venv's bin directory, beside SHOAL_TEST_PYTHON.
    static let tools = URL(fileURLWithPath: OutsideClientTests.python).deletingLastPathComponent()
    static let toolsPresent = ["kubectl", "kubernetes-validate"].allSatisfy {
        FileManager.default.isExecutableFile(atPath: tools.appendingPathComponent($0).path)
    }

    @Test(.enabled(if: toolsPresent, "kubectl and kubernetes-validate are not in the test venv (scripts/test installs them); skipped"))
    func theKustomizeBaseAndItsAutoscaledVariantRenderAndValidate() async throws {
        for variant in ["base", "autoscaled"] {
            let (rendered, yaml) = await OutsideClientTests.run(
                Self.tools.appendingPathComponent("kubectl").path,
                ["kustomize", OutsideClientTests.repository.appendingPathComponent("deploy/kubernetes/\(variant)").path])
            #expect(rendered == .status(0), "kubectl kustomize \(variant):\n\(yaml)")
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-k8s-\(variant)-\(UUID().uuidString).yaml")
            try Data(yaml.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let (validated, report) = await OutsideClientTests.run(
                Self.tools.appendingPathComponent("kubernetes-validate").path, ["--strict", "-k", Self.kubernetesVersion, file.path])
            #expect(validated == .status(0), "kubernetes-validate \(variant):\n\(report)")
            let kinds = yaml.split(separator: "\n").filter { $0.hasPrefix("kind: ") }.map { String($0.dropFirst(6)) }
            #expect(report.components(separatedBy: "passed for resource").count - 1 == kinds.count, "every object validated: \(report)")
            for kind in ["StatefulSet", "Service", "Secret", "NetworkPolicy", "PodDisruptionBudget"] {
                #expect(kinds.contains(kind), "\(variant) renders a \(kind)")
            }
            #expect(kinds.contains("HorizontalPodAutoscaler") == (variant == "autoscaled"))
            #expect(yaml.contains("clusterIP: None") && yaml.contains("--workers-dns=shoal-workers:4600"))
            #expect(yaml.contains("limits:") && yaml.contains("requests:"))
            #expect(yaml.contains("readinessProbe:") && yaml.contains("livenessProbe:") && yaml.contains("path: /health"))
            #expect(yaml.contains("readOnlyRootFilesystem: true") && yaml.contains("runAsNonRoot: true"))
            #expect(yaml.contains("allowPrivilegeEscalation: false") && yaml.contains("--worker-id=$(POD_NAME)"))
        }
    }
}

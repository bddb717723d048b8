import ShoalDocker
import ShoalProtocol
import Testing

@testable import ShoalWorker

/// What a Docker instance's container is, decided without an engine.
struct ContainerPlanTests {
    let settings = ContainerPlan.Settings(workerID: "worker-7")
    let bundle = ContainerPlan.Emulator.shoal(volume: "shoal-rie-worker-7-ab", loader: "ld-linux-x86-64.so.2", command: ["/var/shoal/shoal-rie"])

    @Test func aZipFunctionRunsTheImagesEntrypointWithItsHandlerUnderShoalRIE() {
        let function = FunctionDefinition(name: "f", runtime: "python3.12", handler: "app.handler", memoryMB: 1769, codeSHA256: "c")
        let config = ImageInspect.Config(
            entrypoint: ["/lambda-entrypoint.sh"], cmd: ["ignored"], workingDir: "/x", env: ["PATH=/var/lang/bin:/usr/bin"], user: nil)
        let spec = ContainerPlan.create(function, instanceID: "f-g1-1", image: "img", config: config, emulator: bundle, settings: settings)
        let entrypoint = spec.entrypoint ?? []
        #expect(entrypoint.prefix(4) == ["/var/shoal/lib/ld-linux-x86-64.so.2", "--library-path", "/var/shoal/lib", "/var/shoal/shoal-rie"])
        #expect(entrypoint.contains("--function-name=f"), "the worker's form: a name may start with \"-\"")
        #expect(entrypoint.suffix(3) == ["--", "/lambda-entrypoint.sh", "app.handler"])
        #expect(spec.cmd == [] && spec.workingDir == "/var/task")
        #expect(spec.hostConfig.memory == 1769 << 20 && spec.hostConfig.memorySwap == 1769 << 20)
        #expect(spec.hostConfig.nanoCpus == 1_000_000_000, "1,769 MB is one vCPU")
        #expect(spec.hostConfig.tmpfs == ["/tmp": "rw,exec,size=512m"])
        #expect(spec.hostConfig.mounts == [.init(volume: "shoal-rie-worker-7-ab", at: "/var/shoal")])
        #expect(spec.hostConfig.portBindings == ["8080/tcp": [PortBinding(hostIp: "127.0.0.1", hostPort: "")]])
        #expect(
            spec.labels["shoal.worker"] == "worker-7" && spec.labels["shoal.function"] == "f"
                && spec.labels["shoal.deploy"] == function.deployID.rawValue)
        #expect(spec.env.contains("LAMBDA_TASK_ROOT=/var/task") && spec.env.contains("PATH=/opt/bin:/var/lang/bin:/usr/bin"))
    }

    @Test func anImageFunctionRunsItsImageOrItsOverridesAndKeepsTheImagesPath() {
        var function = FunctionDefinition(name: "i", runtime: "", handler: "", packageType: "Image", imageURI: "img", ephemeralStorageMB: 2048)
        let config = ImageInspect.Config(
            entrypoint: ["/usr/bin/python3", "-m", "awslambdaric"], cmd: ["app.handler"], workingDir: "/function", env: ["PATH=/custom/bin"],
            user: nil)
        var spec = ContainerPlan.create(function, instanceID: "i-1", image: "img", config: config, emulator: .image, settings: settings)
        #expect(spec.entrypoint == ["/usr/local/bin/aws-lambda-rie", "/usr/bin/python3", "-m", "awslambdaric", "app.handler"])
        #expect(spec.workingDir == "/function" && spec.hostConfig.mounts == nil)
        #expect(spec.env.contains("PATH=/custom/bin") && spec.hostConfig.tmpfs == ["/tmp": "rw,exec,size=2048m"])
        function.imageConfig = .init(command: ["app.other"], workingDirectory: "/elsewhere")
        spec = ContainerPlan.create(function, instanceID: "i-1", image: "img", config: config, emulator: .image, settings: settings)
        #expect(spec.entrypoint == ["/usr/local/bin/aws-lambda-rie", "/usr/bin/python3", "-m", "awslambdaric", "app.other"])
        #expect(spec.workingDir == "/elsewhere")
    }

    @Test func shoalRIEFrontsImagesOfThisArchitectureAndTheImagesOwnEmulatorTheRest() {
        let host = ContainerPlan.hostArchitecture
        #expect(ContainerPlan.emulator(.auto, imageArchitecture: host, bundle: bundle) == bundle)
        #expect(ContainerPlan.emulator(.auto, imageArchitecture: host == "arm64" ? "amd64" : "arm64", bundle: bundle) == .image)
        #expect(ContainerPlan.emulator(.image, imageArchitecture: host, bundle: bundle) == .image)
        #expect(ContainerPlan.emulator(.shoal, imageArchitecture: "s390x", bundle: bundle) == bundle)
        #expect(ContainerPlan.emulator(.auto, imageArchitecture: host, bundle: nil) == .image)
    }

    @Test func runtimesMapToAWSBaseImagesUnlessOverridden() throws {
        var images = RuntimeImages()
        #expect(try images.image(for: "python3.12") == "public.ecr.aws/lambda/python:3.12")
        #expect(try images.image(for: "nodejs20.x") == "public.ecr.aws/lambda/nodejs:20")
        #expect(try images.image(for: "provided.al2023") == "public.ecr.aws/lambda/provided:al2023")
        #expect(throws: WorkerError.self) { try images.image(for: "ruby3.3") }
        images.overrides["python3.12"] = "mine:1"
        #expect(try images.image(for: "python3.12") == "mine:1")
        #expect(RuntimeImages.parse("python3.12=reg:5000/py:3") ?? ("", "") == ("python3.12", "reg:5000/py:3"))
        #expect(RuntimeImages.parse("python3.12") == nil && RuntimeImages.parse("=x") == nil)
    }

    @Test func lddNamesTheLibrariesAndTheLoader() {
        let output = """
            \tlinux-vdso.so.1 (0x00007ffd)
            \tlibswiftCore.so => /opt/swift/usr/lib/swift/linux/libswiftCore.so (0x00007f1)
            \tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f2)
            \t/lib64/ld-linux-x86-64.so.2 (0x00007f3)
            """
        let (libraries, loader) = RIEBundle.parse(ldd: output)
        #expect(libraries.map(\.name) == ["libswiftCore.so", "libstdc++.so.6"])
        #expect(loader == "/lib64/ld-linux-x86-64.so.2")
    }
}

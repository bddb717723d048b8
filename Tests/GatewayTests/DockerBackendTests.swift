import Foundation
import ShoalDocker
import ShoalProtocol
import ShoalRuntimeInterface
import ShoalTestSupport
import Testing

/// The Docker backend against the real engine: boto3 drives `shoal up --backend docker`
/// (Tests/python/test_docker_backend.py), then a worker is killed and restarted, and the fleet
/// is stopped; the engine is asked what containers are left each time.
@Suite(.serialized) struct DockerBackendTests {
    /// scripts/test sets SHOAL_TEST_DOCKER once an engine runs and the test images are built
    /// (scripts/docker-test-images.sh); where no engine can run, it says why and these skip.
    static let engineReady = ProcessInfo.processInfo.environment["SHOAL_TEST_DOCKER"] == "1"

    static let upArguments = [
        "--max-concurrency", "3", "--pull", "never",
        "--runtime-image", "python3.12=shoal-test/python:3.11", "--runtime-image", "nodejs20.x=shoal-test/node:18",
        "--runtime-image", "provided.al2023=shoal-test/provided:bookworm",
    ]

    @Test(.enabled(if: engineReady, "no Docker engine runs here (scripts/test starts one where it can); the Docker backend's tests are skipped"))
    func realContainersServeBoto3AndNothingOutlivesTheWorkers() async throws {
        let engine = try await DockerEngine(.init())
        let up = try await ShoalUp.start(workers: 2, backend: "docker", extra: Self.upArguments)
        defer { up.removeData() }
        let (exit, output) = await OutsideClientTests.run(
            OutsideClientTests.python,
            [
                "-m", "pytest", "-q", "-p", "no:cacheprovider",
                OutsideClientTests.repository.appendingPathComponent("Tests/python/test_docker_backend.py").path,
            ],
            environment: ["SHOAL_HTTP_PORT": String(up.httpPort), "SHOAL_WORKER_CAP": "3"])
        #expect(exit == .status(0), "pytest:\n\(output)")

        // kill -9 of a worker: `shoal up` restarts it under the same id, and the restarted
        // worker removes the containers its earlier life left.
        let client = try await up.connect()
        let workers = try await client.call(ClientAPI.WorkersList.self, Empty()).workers
        let victim = try #require(workers.first { $0.id == "worker-1" })
        let victimPID = try #require(victim.pid)
        let containers = try await engine.containers(labelled: ["shoal.worker=worker-1"])
        let before = Set(containers.map(\.id))
        #expect(!before.isEmpty, "worker-1 had containers")
        for container in containers {
            #expect(
                container.command?.contains("/var/shoal/shoal-rie --host=0.0.0.0") == true,
                "the lean emulator fronts: \(container.command ?? "")")
        }
        kill(pid_t(victimPID), SIGKILL)
        var restartedAt: ContinuousClock.Instant?
        let killed = ContinuousClock.now
        while restartedAt == nil, ContinuousClock.now - killed < .seconds(60) {
            let now = try? await client.call(ClientAPI.WorkersList.self, Empty()).workers
            if let again = now?.first(where: { $0.id == "worker-1" }), again.pid != victimPID { restartedAt = .now }
            try await Task.sleep(for: .milliseconds(50))
        }
        let restarted = try #require(restartedAt, "worker-1 came back")
        var gone = false
        while !gone, ContinuousClock.now - restarted < .seconds(10) {
            gone = Set(try await engine.containers(labelled: ["shoal.worker=worker-1"]).map(\.id)).isDisjoint(with: before)
            if !gone { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(gone, "the old containers of worker-1 are gone within 10 s of its restart")
        await client.close()

        #expect(await up.stop() == .status(0))
        for id in ["worker-1", "worker-2"] {
            let left = try await engine.containers(labelled: ["shoal.worker=\(id)"])
            #expect(left.isEmpty, "after SIGTERM, \(id) left \(left.map(\.id))")
        }
        await engine.shutdown()
    }

    /// `--docker-emulator image`: the image's own /usr/local/bin/aws-lambda-rie fronts the
    /// runtime (a stand-in for AWS's binary in shoal-test/python-aws-rie), and no bundle volume
    /// is made or mounted.
    @Test(.enabled(if: engineReady, "no Docker engine runs here (scripts/test starts one where it can); the Docker backend's tests are skipped"))
    func theImagesOwnEmulatorFrontsTheRuntimeWhenAskedFor() async throws {
        let engine = try await DockerEngine(.init())
        try await ShoalUp.with(
            workers: 1, backend: "docker",
            extra: ["--pull", "never", "--docker-emulator", "image", "--runtime-image", "python3.12=shoal-test/python-aws-rie:3.11"]
        ) { up in
            let client = try await up.connect()
            try await client.createFunction(
                "aws-rie", runtime: "python3.12", handler: "app.handler",
                files: ["app.py": "import os\ndef handler(event, context):\n    return {'echo': event, 'task': os.getcwd()}\n"])
            let outcome = try await client.invoke("aws-rie", #"{"k": 1}"#)
            #expect(outcome.result.functionError == nil)
            #expect(outcome.body.contains(#""task": "/var/task""#) && outcome.body.contains(#""echo": {"k": 1}"#), "\(outcome.body)")
            let containers = try await engine.containers(labelled: ["shoal.function=aws-rie"])
            let details = try await engine.inspectContainer(try #require(containers.first).id)
            #expect(details.state.running)
            #expect(try await engine.volumes(labelled: ["shoal.worker=worker-1"]).isEmpty, "no bundle volume without shoal rie")
            await client.close()
        }
        #expect(try await engine.containers(labelled: ["shoal.function=aws-rie"]).isEmpty)
        await engine.shutdown()
    }

    @Test func aDockerSocketThatIsMissingStopsTheWorkerAtStartWithTheReason() async throws {
        let child = ChildProcess(arguments: ["worker", "--port", "0", "--backend", "docker", "--docker-host", "unix:///nonexistent/docker.sock"])
        let started = ContinuousClock.now
        let exit = await child.process.exited
        let output = String(decoding: child.logs.contents, as: UTF8.self)
        #expect(exit != .status(0))
        #expect(ContinuousClock.now - started < .seconds(10), "it did not hang")
        #expect(output.contains("cannot reach the Docker engine at unix:///nonexistent/docker.sock"), "\(output)")
    }
}

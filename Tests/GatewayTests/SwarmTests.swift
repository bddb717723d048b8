import Foundation
import ShoalProtocol
import ShoalRuntimeInterface
import ShoalTestSupport
import Testing

/// deploy/compose.yaml as a real Docker Swarm stack (one node, `docker swarm init` here when
/// the engine is not in a Swarm, left again at the end): the Shoal image built by
/// scripts/shoal-image.sh on the test rootfs, 3 workers found through `tasks.worker`, scaled
/// to 5 and back, a worker and the gateway killed under load.
@Suite(.serialized) struct SwarmTests {
    static let engineReady = DockerBackendTests.engineReady
    static let handler = """
        import os
        def handler(event, context):
            os.makedirs("/tmp/marks", exist_ok=True)
            if "id" in event:
                with open("/tmp/marks/" + event["id"], "a") as mark:
                    mark.write("ran\\n")
            return {"function": context.function_name}
        """

    static func docker(_ arguments: [String], environment: [String: String] = [:]) async -> (RuntimeProcess.Exit, String) {
        await OutsideClientTests.run("/usr/bin/env", ["docker"] + arguments, environment: environment)
    }

    @Test(.enabled(if: engineReady, "no Docker engine runs here (scripts/test starts one where it can); the Swarm tests are skipped"))
    func aStackScalesOutAndBackAndSurvivesAKilledWorkerAndGateway() async throws {
        let (built, buildOutput) = await OutsideClientTests.run(
            "/usr/bin/env", ["bash", "scripts/shoal-image.sh"], environment: ["BASE": "shoal-test/base:bookworm"])
        try #require(built == .status(0), "scripts/shoal-image.sh:\n\(buildOutput)")
        let image = String(buildOutput.split(separator: "\n").last ?? "")
        let (_, swarmState) = await Self.docker(["info", "--format", "{{.Swarm.LocalNodeState}}"])
        let joinedHere = swarmState.trimmingCharacters(in: .whitespacesAndNewlines) != "active"
        if joinedHere {
            let (initialized, output) = await Self.docker(["swarm", "init", "--advertise-addr", "127.0.0.1"])
            try #require(initialized == .status(0), "docker swarm init:\n\(output)")
        }
        let stack = "shoaltest\(Int.random(in: 1000...9999))"
        let (httpPort, rpcPort) = (try WorkerIdentityTests.unusedPort(), try WorkerIdentityTests.unusedPort())
        let environment = [
            "SHOAL_IMAGE": image, "SHOAL_TOKEN": UUID().uuidString + UUID().uuidString,
            "SHOAL_HTTP_PORT": String(httpPort), "SHOAL_RPC_PORT": String(rpcPort),
        ]
        do {
            try await Self.exercise(stack: stack, environment: environment, rpcPort: rpcPort)
        } catch {
            await Self.remove(stack: stack, leavingSwarm: joinedHere)
            throw error
        }
        await Self.remove(stack: stack, leavingSwarm: joinedHere)
    }

    /// compose.docker.yaml on top: the workers run each instance as a container of its own
    /// through the mounted socket, on the instances' overlay network; removing the stack
    /// removes those containers too.
    @Test(.enabled(if: engineReady, "no Docker engine runs here (scripts/test starts one where it can); the Swarm tests are skipped"))
    func theDockerBackendVariantRunsInstancesAsContainersOfTheirOwn() async throws {
        let (built, buildOutput) = await OutsideClientTests.run(
            "/usr/bin/env", ["bash", "scripts/shoal-image.sh"], environment: ["BASE": "shoal-test/base:bookworm"])
        try #require(built == .status(0), "scripts/shoal-image.sh:\n\(buildOutput)")
        let (_, swarmState) = await Self.docker(["info", "--format", "{{.Swarm.LocalNodeState}}"])
        let joinedHere = swarmState.trimmingCharacters(in: .whitespacesAndNewlines) != "active"
        if joinedHere { _ = await Self.docker(["swarm", "init", "--advertise-addr", "127.0.0.1"]) }
        let stack = "shoaldk\(Int.random(in: 1000...9999))"
        let network = "\(stack)_instances"
        let rpcPort = try WorkerIdentityTests.unusedPort()
        let environment = [
            "SHOAL_IMAGE": String(buildOutput.split(separator: "\n").last ?? ""), "SHOAL_TOKEN": UUID().uuidString,
            "SHOAL_HTTP_PORT": String(try WorkerIdentityTests.unusedPort()), "SHOAL_RPC_PORT": String(rpcPort), "SHOAL_WORKERS": "2",
            "SHOAL_PYTHON_IMAGE": "shoal-test/python:3.11", "SHOAL_PULL": "never", "SHOAL_INSTANCE_NETWORK": network,
        ]
        let files = ["compose.yaml", "compose.docker.yaml"].flatMap {
            ["-c", OutsideClientTests.repository.appendingPathComponent("deploy/\($0)").path]
        }
        do {
            let (deployed, output) = await Self.docker(["stack", "deploy"] + files + [stack], environment: environment)
            try #require(deployed == .status(0), "docker stack deploy:\n\(output)")
            let client = try await Self.connect(port: rpcPort)
            #expect(
                await eventually(timeout: .seconds(60)) {
                    (try? await client.call(ClientAPI.WorkersList.self, Empty()).workers.filter { $0.state == "up" }.count) == 2
                })
            try await client.createFunction("contained", runtime: "python3.12", files: ["app.py": Self.handler])
            let (body, result) = try await client.invoke("contained", #"{"k": 1}"#)
            #expect(result.functionError == nil && body.contains("contained"), "\(body)")
            let (_, instances) = await Self.docker(["ps", "-q", "--filter", "label=shoal.function=contained", "--filter", "network=\(network)"])
            #expect(!instances.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "the instance is a container on \(network)")
            await client.close()
        } catch {
            await Self.remove(stack: stack, leavingSwarm: joinedHere, network: network)
            throw error
        }
        await Self.remove(stack: stack, leavingSwarm: joinedHere, network: network)
        let (_, left) = await Self.docker(["ps", "-aq", "--filter", "label=shoal.function=contained"])
        #expect(left.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "the workers removed their instances: \(left)")
    }

    /// The same file with Debian's docker-compose (no Swarm): the service name lists every
    /// worker, and each worker takes an id of its own.
    @Test(.enabled(if: engineReady, "no Docker engine runs here (scripts/test starts one where it can); the compose test is skipped"))
    func dockerComposeRunsTheSameFile() async throws {
        let (built, buildOutput) = await OutsideClientTests.run(
            "/usr/bin/env", ["bash", "scripts/shoal-image.sh"], environment: ["BASE": "shoal-test/base:bookworm"])
        try #require(built == .status(0), "scripts/shoal-image.sh:\n\(buildOutput)")
        let project = "shoalcompose\(Int.random(in: 1000...9999))"
        let rpcPort = try WorkerIdentityTests.unusedPort()
        let environment = [
            "SHOAL_IMAGE": String(buildOutput.split(separator: "\n").last ?? ""), "SHOAL_TOKEN": UUID().uuidString,
            "SHOAL_HTTP_PORT": String(try WorkerIdentityTests.unusedPort()), "SHOAL_RPC_PORT": String(rpcPort), "SHOAL_WORKERS_DNS": "worker",
        ]
        let compose = ["docker-compose", "-f", OutsideClientTests.repository.appendingPathComponent("deploy/compose.yaml").path, "-p", project]
        let (started, startOutput) = await OutsideClientTests.run(
            "/usr/bin/env", compose + ["up", "-d", "--scale", "worker=3"], environment: environment)
        do {
            try #require(started == .status(0), "docker-compose up:\n\(startOutput)")
            let client = try await Self.connect(port: rpcPort)
            #expect(
                await eventually(timeout: .seconds(60)) {
                    (try? await client.call(ClientAPI.WorkersList.self, Empty()).workers.filter { $0.state == "up" }.count) == 3
                })
            let ids = try await client.call(ClientAPI.WorkersList.self, Empty()).workers.map(\.id)
            #expect(Set(ids).count == 3 && ids.allSatisfy { !$0.contains("{{") }, "\(ids)")
            try await client.createFunction("composed", runtime: "python3.12", files: ["app.py": Self.handler])
            let (body, result) = try await client.invoke("composed", #"{"id": "compose"}"#)
            #expect(result.functionError == nil && body.contains("composed"), "\(body)")
            await client.close()
        } catch {
            _ = await OutsideClientTests.run("/usr/bin/env", compose + ["down", "-v"], environment: environment)
            throw error
        }
        let (stopped, stopOutput) = await OutsideClientTests.run("/usr/bin/env", compose + ["down", "-v"], environment: environment)
        #expect(stopped == .status(0), "docker-compose down:\n\(stopOutput)")
    }

    /// The stack, its volume and (when this test made it) the Swarm go.
    static func remove(stack: String, leavingSwarm: Bool, network: String? = nil) async {
        _ = await docker(["stack", "rm", stack])
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let (_, left) = await docker(["ps", "-aq", "--filter", "label=com.docker.stack.namespace=\(stack)"])
            if left.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { break }
            try? await Task.sleep(for: .milliseconds(500))
        }
        // The volume is free only once its containers are gone.
        for _ in 0..<20 {
            let (removed, _) = await docker(["volume", "rm", "\(stack)_registry"])
            if removed == .status(0) { break }
            try? await Task.sleep(for: .milliseconds(500))
        }
        for _ in 0..<20 {
            guard let network else { break }
            let (removed, output) = await docker(["network", "rm", network])
            if removed == .status(0) || output.contains("not found") { break }
            try? await Task.sleep(for: .milliseconds(500))
        }
        if leavingSwarm { _ = await docker(["swarm", "leave", "--force"]) }
    }

    static func exercise(stack: String, environment: [String: String], rpcPort: Int) async throws {
        let (deployed, deployOutput) = await Self.docker(
            ["stack", "deploy", "-c", OutsideClientTests.repository.appendingPathComponent("deploy/compose.yaml").path, stack],
            environment: environment)
        try #require(deployed == .status(0), "docker stack deploy:\n\(deployOutput)")

        let client = try await Self.connect(port: rpcPort)
        func up() async -> [String: String] {
            let workers = (try? await client.call(ClientAPI.WorkersList.self, Empty()).workers) ?? []
            return Dictionary(workers.filter { $0.state == "up" }.map { ($0.id, $0.address) }) { first, _ in first }
        }
        #expect(await eventually(timeout: .seconds(120)) { await up().count == 3 }, "3 workers joined")
        #expect(Set(await up().keys) == ["worker-1", "worker-2", "worker-3"])

        let names = (0..<60).map { "swarm-\($0)" }
        for name in names {
            try await client.createFunction(name, runtime: "python3.12", files: ["app.py": Self.handler])
        }
        func invokeAll(_ tag: String) async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for name in names {
                    group.addTask {
                        let (body, result) = try await client.invoke(name, #"{"id": "\#(tag)-\#(name)"}"#)
                        guard result.functionError == nil, body.contains(name) else { throw RPCError(.internalError, "\(name): \(body)") }
                    }
                }
                try await group.waitForAll()
            }
        }
        func owners() async throws -> [String: String] {
            var owners: [String: String] = [:]
            for name in names { owners[name] = try await client.call(ClientAPI.FunctionOwner.self, .init(functionName: name)).worker }
            return owners
        }
        /// Each function's warm instances, as worker/instance (instance ids repeat across workers).
        func instances() async throws -> [String: Set<String>] {
            let warm = try await client.call(ClientAPI.WarmList.self, Empty()).instances
            return Dictionary(grouping: warm, by: \.functionName).mapValues { Set($0.map { "\($0.worker)/\($0.instanceId)" }) }
        }

        try await invokeAll("first")
        let ownersAtThree = try await owners()
        let warmAtThree = try await instances()
        #expect(Set(ownersAtThree.values) == ["worker-1", "worker-2", "worker-3"], "spread over the 3 workers")

        // Scale to 5: within 15 s five workers are up, every function answers, and only the
        // functions whose owner changed started a new instance.
        let scaledAt = ContinuousClock.now
        let (scaled, scaleOutput) = await Self.docker(["service", "scale", "--detach", "\(stack)_worker=5"])
        try #require(scaled == .status(0), "\(scaleOutput)")
        #expect(await eventually(timeout: .seconds(15)) { await up().count == 5 }, "5 workers within 15 s")
        #expect(ContinuousClock.now - scaledAt < .seconds(15))
        try await invokeAll("five")
        let ownersAtFive = try await owners()
        let warmAtFive = try await instances()
        let moved = Set(names.filter { ownersAtThree[$0] != ownersAtFive[$0] })
        let restarted = Set(names.filter { !(warmAtFive[$0] ?? []).subtracting(warmAtThree[$0] ?? []).isEmpty })
        #expect(moved == restarted, "only moved functions cold-started: moved \(moved.sorted()), new instances \(restarted.sorted())")
        #expect((12...36).contains(moved.count), "about 2/5 of 60 moved: \(moved.count)")

        // Back to 3: every function answers again within 5 s of the scale-in.
        let (scaledIn, scaleInOutput) = await Self.docker(["service", "scale", "\(stack)_worker=3"])
        try #require(scaledIn == .status(0), "\(scaleInOutput)")
        let scaledInAt = ContinuousClock.now
        var answered = false
        while !answered, ContinuousClock.now - scaledInAt < .seconds(5) {
            answered = (try? await invokeAll("three")) != nil
        }
        #expect(answered, "every function answered within 5 s of the scale-in")

        // A killed worker container under a steady stream: every function answers within 5 s,
        // no handler ran twice, and Swarm's replacement rejoins under the same id.
        let (_, victims) = await Self.docker(["ps", "-q", "--filter", "name=\(stack)_worker.1."])
        let victim = try #require(victims.split(separator: "\n").first.map(String.init))
        let stream = Task {
            var round = 0
            while !Task.isCancelled {
                round += 1
                _ = try? await invokeAll("stream\(round)")
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        _ = await Self.docker(["kill", victim])
        let killedAt = ContinuousClock.now
        var recovered = false
        while !recovered, ContinuousClock.now - killedAt < .seconds(5) {
            recovered = (try? await invokeAll("recovered")) != nil
        }
        stream.cancel()
        _ = await stream.value
        #expect(recovered, "every function answered within 5 s of the kill")
        #expect(
            await eventually(timeout: .seconds(60)) { await up().keys.sorted() == ["worker-1", "worker-2", "worker-3"] }, "the replacement rejoined")
        let marks = try await Self.marks(stack: stack)
        // A mark with no line is an invocation the kill cut short after it opened its file.
        #expect(marks.values.allSatisfy { $0 <= 1 }, "no handler ran twice: \(marks.filter { $0.value > 1 })")
        #expect(marks.values.filter { $0 == 1 }.count >= names.count * 3, "the marks were counted: \(marks.count)")

        // The gateway killed: Swarm restarts it on its volume, and every function is there.
        let (_, gateways) = await Self.docker(["ps", "-q", "--filter", "label=com.docker.swarm.service.name=\(stack)_gateway"])
        await client.close()
        _ = await Self.docker(["kill", try #require(gateways.split(separator: "\n").first.map(String.init))])
        let again = try await Self.connect(port: rpcPort)
        let listed = try await again.call(ClientAPI.ListFunctions.self, .init(maxItems: 1000)).functions.map(\.functionName)
        #expect(Set(listed).isSuperset(of: names), "every function is still listed")
        #expect(
            await eventually(timeout: .seconds(30)) {
                (try? await again.call(ClientAPI.WorkersList.self, Empty()).workers.filter { $0.state == "up" }.count) == 3
            })
        for name in names.prefix(10) {
            #expect(try await again.invoke(name, #"{"k": 1}"#).result.functionError == nil)
        }

        // No workers at all: tasks.worker resolves to nothing; the gateway says so and answers
        // ServiceUnavailableException until workers are back.
        _ = await Self.docker(["service", "scale", "\(stack)_worker=0"])
        #expect(
            await eventually(timeout: .seconds(30)) {
                (try? await again.call(ClientAPI.WorkersList.self, Empty()).workers.filter { $0.state == "up" }.isEmpty) == true
            })
        do {
            _ = try await again.invoke("swarm-0")
            Issue.record("an invoke with no worker answered")
        } catch let error as RPCError {
            #expect(error.code == .serviceUnavailable, "\(error)")
        }
        #expect(
            await eventually(timeout: .seconds(15)) {
                await docker(["service", "logs", "\(stack)_gateway"]).1.contains("could not resolve the workers' DNS name")
            }, "the gateway said the name resolves to nothing")
        _ = await Self.docker(["service", "scale", "\(stack)_worker=3"])
        #expect(await eventually(timeout: .seconds(60)) { (try? await again.invoke("swarm-0").result.functionError) == .some(nil) })
        await again.close()
    }

    /// Connects to the gateway's published RPC port once it answers (Swarm takes a while).
    static func connect(port: Int) async throws -> RPCConnection {
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            if let connection = try? await RPCConnection.connect(host: "127.0.0.1", port: port),
                (try? await connection.call(ClientAPI.WorkersList.self, Empty())) != nil
            {
                return connection
            }
            guard ContinuousClock.now < deadline else { throw RPCError(.serviceUnavailable, "the gateway on \(port) did not answer") }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// How often each invocation id ran, over every worker container the stack had (killed
    /// ones too): the marks its handler left in the container's /tmp/marks.
    static func marks(stack: String) async throws -> [String: Int] {
        let (_, containers) = await docker(["ps", "-aq", "--filter", "label=com.docker.swarm.service.name=\(stack)_worker"])
        var counts: [String: Int] = [:]
        for container in containers.split(separator: "\n") {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-marks-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let (copied, _) = await docker(["cp", "\(container):/tmp/marks", directory.path])
            guard copied == .status(0) else { continue }
            let marks = directory.appendingPathComponent("marks")
            for file in (try? FileManager.default.contentsOfDirectory(atPath: marks.path)) ?? [] {
                let text = (try? String(contentsOf: marks.appendingPathComponent(file), encoding: .utf8)) ?? ""
                counts[file, default: 0] += text.split(separator: "\n").count
            }
        }
        return counts
    }
}

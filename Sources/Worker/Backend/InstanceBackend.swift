import ShoalProtocol

/// What runs function instances: local processes (`shoal rie`), Docker containers, or, in
/// tests, real loopback HTTP listeners.
///
/// A backend only starts and stops instances; which instance serves which call, and when one
/// is retired, is the warm pool's business.
package protocol InstanceBackend: Sendable {
    /// "process", "docker", ...: shown by `warm.list`.
    var name: String { get }

    /// Starts one instance of `request.function` and returns once it accepts invocations.
    func launch(_ request: LaunchRequest) async throws -> LaunchedInstance

    /// Stops the instance and everything it started. Must not throw: a stop that fails is
    /// logged by the backend, and the pool has forgotten the instance either way.
    func terminate(_ instance: LaunchedInstance) async

    /// Prepares what launches of this function need (pulls an image, unpacks code), so the
    /// first cold start does not pay for it. Called when the function is defined.
    func prepull(_ function: FunctionDefinition) async throws

    /// The instance's recent output (stdout and stderr), newest last.
    func logs(_ instance: LaunchedInstance) async -> String

    /// Stops every instance and what the backend holds (worker shutdown's backstop, after the
    /// pools terminated theirs).
    func terminateAll() async
}

extension InstanceBackend {
    package func terminateAll() async {}
}

/// Everything a backend needs to start one instance.
package struct LaunchRequest: Sendable {
    /// The launch configuration, with the content hashes of its code and layers.
    package var function: FunctionDefinition
    /// The deploy this instance belongs to (for per-deploy code directories and labels).
    package var deployID: DeployID
    package var instanceID: String

    package init(function: FunctionDefinition, instanceID: String) {
        self.function = function
        self.deployID = function.deployID
        self.instanceID = instanceID
    }
}

/// A running instance as its backend describes it.
package struct LaunchedInstance: Sendable, Hashable {
    package var instanceID: String
    package var endpoint: Endpoint
    /// The backend's own handle: a process id, a container id.
    package var handle: String

    package init(instanceID: String, endpoint: Endpoint, handle: String) {
        self.instanceID = instanceID
        self.endpoint = endpoint
        self.handle = handle
    }
}

import Synchronization

/// The state of one part of crowbard (the orchestrator, a boot service), as the health check reports it.
public struct ComponentHealth: Codable, Sendable, Hashable {
    /// `database`, `orchestrator`, `dhcp`, `tftp`, `boot-http`, …
    public var name: String
    /// Whether it does its work now; one unhealthy component makes crowbard degraded (503).
    public var healthy: Bool
    /// What it is doing, or why not (`running`, `waiting for 192.168.124.10 on an interface`, `failed: …`).
    public var state: String

    public init(name: String, healthy: Bool, state: String) {
        self.name = name
        self.healthy = healthy
        self.state = state
    }
}

/// Where crowbard's long-running parts say how they are, for the health check.
public final class ComponentStates: Sendable {
    private let states = Mutex<[String: ComponentHealth]>([:])

    public init() {}

    public func set(_ name: String, healthy: Bool, _ state: String) {
        states.withLock { $0[name] = ComponentHealth(name: name, healthy: healthy, state: state) }
    }

    /// Every component that has reported, by name.
    public var all: [ComponentHealth] { states.withLock { $0.values.sorted { $0.name < $1.name } } }
}

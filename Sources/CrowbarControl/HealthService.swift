import CrowbarCore
import CrowbarStore

/// `GET /api/v1/health`: the database checked now, and the state every long-running part of crowbard last reported.
public struct HealthService: Sendable {
    let database: CrowbarDatabase
    /// Where the orchestrator, the batch runner and the boot services report (crowbard wraps each in a ``WatchedService``).
    public let states: ComponentStates

    /// Every component with its state; `degraded` when one is not healthy.
    public func check() async -> HealthStatus {
        var components = states.all
        do {
            try await database.check()
            components.append(ComponentHealth(name: "database", healthy: true, state: "ok"))
        } catch {
            components.append(ComponentHealth(name: "database", healthy: false, state: "failed: \(error)"))
        }
        return HealthStatus(components: components.sorted { $0.name < $1.name })
    }
}

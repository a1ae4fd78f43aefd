import CrowbarCore
import ServiceLifecycle

/// Runs a service of crowbard and says in `states` how it is: running, then stopped, or failed with its error.
public struct WatchedService: Service {
    let name: String
    let service: any Service
    let states: ComponentStates

    public init(_ name: String, _ service: any Service, states: ComponentStates) {
        self.name = name
        self.service = service
        self.states = states
    }

    public func run() async throws {
        states.set(name, healthy: true, "running")
        do {
            try await service.run()
        } catch {
            states.set(name, healthy: false, "failed: \(error)")
            throw error
        }
        states.set(name, healthy: false, "stopped")
    }
}

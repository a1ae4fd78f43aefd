/// What the application layer needs from the orchestrator: start queued runs and stop them (a protocol, so the
/// application layer is testable without one).
public protocol RunScheduler: Sendable {
    /// Queues a run already created in the store.
    func schedule(runID: Int64)
    /// Asks a run to stop; false when it had already finished.
    func cancel(runID: Int64) async throws -> Bool
    /// Lets the orchestrator install ahead the packages a batch's later proposals need on its nodes
    /// (``PackageStagingRequest``). Returns at once; what it stages is only ever a head start.
    func stagePackages(_ request: PackageStagingRequest)
}

extension RunScheduler {
    /// A scheduler that stages nothing: every step installs its own packages.
    public func stagePackages(_ request: PackageStagingRequest) {}
}

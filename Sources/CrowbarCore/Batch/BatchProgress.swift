/// The decisions of a batch's progress, pure: what its current entry's run ending means.
public enum BatchProgress {
    /// What a run's end does to the batch: the entry's outcome, and the batch's status and failure when it ends.
    public struct Step: Sendable, Hashable {
        public var entry: BatchEntryOutcome
        /// Set when the batch ends with this entry.
        public var batch: BatchStatus?
        public var failure: String?
    }

    /// The current entry could not be queued at all (its proposal or plan is gone or broken): the batch fails.
    public static func couldNotStart(_ entry: BatchEntry, error: any Error) -> Step {
        Step(entry: .failed, batch: .failed, failure: "\(entry.barclamp)/\(entry.proposal) could not be applied: \(error)")
    }

    /// The entry whose run ended as `run`: applied on success, else failed, failing the batch; the last applied entry
    /// ends the batch as succeeded.
    public static func runEnded(_ status: RunStatus, entry: BatchEntry, of batch: Batch, failure: RunFailure?) -> Step {
        guard status == .succeeded else {
            let reason = "\(entry.barclamp)/\(entry.proposal): run \(entry.run.map(String.init) ?? "?") \(status.rawValue)"
                + (failure.map { ": \($0)" } ?? "")
            return Step(entry: .failed, batch: .failed, failure: reason)
        }
        let later = batch.entries.contains { $0.position > entry.position && $0.outcome == .pending }
        return Step(entry: .applied, batch: later ? nil : .succeeded, failure: nil)
    }
}

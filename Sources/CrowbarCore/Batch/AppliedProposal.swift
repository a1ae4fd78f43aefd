import Foundation

/// A proposal a batch applied: its run as it ended and the wall time from commit to end.
public struct AppliedProposal: Sendable, Hashable {
    public var barclamp: String
    public var proposal: String
    public var seconds: Double
    public var run: Run

    public init(barclamp: String, proposal: String, seconds: Double, run: Run) {
        self.barclamp = barclamp
        self.proposal = proposal
        self.seconds = seconds
        self.run = run
    }
}

import Testing

@testable import CrowbarCore

@Suite struct ProposalLifecycleTests {
    @Test func everyStatusHasARowAndCommitIsAlwaysPossibleOnceActiveOrRetired() {
        #expect(Set(ProposalLifecycle.table.keys) == Set(ProposalStatus.allCases))
        for status in ProposalStatus.allCases {
            #expect(ProposalLifecycle.allowedTargets(from: status).contains(.committed), "\(status) cannot be committed")
        }
    }

    @Test func onlyAnApplyEndsAppliedOrFailed() {
        for status in ProposalStatus.allCases where status != .applying {
            #expect(!ProposalLifecycle.allowedTargets(from: status).contains(.applied))
            #expect(!ProposalLifecycle.allowedTargets(from: status).contains(.failed))
        }
    }

    @Test func refusalsNameTheReason() {
        #expect(throws: IllegalProposalTransition.self) { try ProposalLifecycle.validate(proposal: "a/b", from: .draft, to: .deactivated) }
        #expect(IllegalProposalTransition(proposal: "a/b", from: .draft, to: .deactivated).description == "proposal a/b has never been committed")
        #expect(IllegalProposalTransition(proposal: "a/b", from: .applying, to: .deactivated).description.contains("cancel its run"))
    }
}

@Suite struct RunOutcomeTests {
    func subjects(
        revision: Int? = 3, checkMode: Bool = false, proposalNow: (ProposalStatus, Int)? = (.applying, 3), node: String? = nil,
        nodeNow: NodeState? = nil
    ) -> RunSubjects {
        RunSubjects(
            runID: 7, barclamp: node == nil ? "ntp" : nil, proposal: node == nil ? "default" : nil, revision: node == nil ? revision : nil,
            checkMode: checkMode, transitionNode: node, proposalNow: proposalNow.map { (status: $0.0, revision: $0.1) }, nodeNow: nodeNow)
    }

    @Test func queuingAnApplyOfTheLastRevisionMakesTheProposalApplyingButACheckOrAnOlderRevisionChangesNothing() {
        #expect(RunOutcome.effectsOfQueuing(subjects(proposalNow: (.committed, 3)))
            == [.proposalStatus(barclamp: "ntp", proposal: "default", to: .applying, reason: "applying revision 3")])
        #expect(RunOutcome.effectsOfQueuing(subjects(checkMode: true, proposalNow: (.committed, 3))).isEmpty)
        #expect(RunOutcome.effectsOfQueuing(subjects(proposalNow: (.committed, 4))).isEmpty, "a newer commit landed first")
        #expect(RunOutcome.effectsOfQueuing(subjects(proposalNow: (.deactivated, 3))).isEmpty)
        #expect(RunOutcome.effectsOfQueuing(subjects(node: "n1", nodeNow: .readying)).isEmpty)
    }

    @Test(arguments: [(RunStatus.succeeded, ProposalStatus.applied), (.failed, .failed), (.cancelled, .failed)])
    func anApplyEndsTheProposal(status: RunStatus, expected: ProposalStatus) {
        #expect(RunOutcome.effects(of: subjects(), ending: status, failure: nil)
            == [.proposalStatus(barclamp: "ntp", proposal: "default", to: expected, reason: "run 7 \(status.rawValue)")])
    }

    @Test func aNewerCommitOrADeletedProposalOrACheckIsLeftAlone() {
        #expect(RunOutcome.effects(of: subjects(proposalNow: (.committed, 4)), ending: .succeeded, failure: nil).isEmpty)
        #expect(RunOutcome.effects(of: subjects(proposalNow: (.applying, 4)), ending: .succeeded, failure: nil).isEmpty)
        #expect(RunOutcome.effects(of: subjects(proposalNow: nil), ending: .failed, failure: nil).isEmpty)
        #expect(RunOutcome.effects(of: subjects(checkMode: true), ending: .succeeded, failure: nil).isEmpty)
    }

    @Test func aTransitionRunMovesItsNode() {
        #expect(RunOutcome.effects(of: subjects(node: "n1", nodeNow: .readying), ending: .succeeded, failure: nil)
            == [.nodeState(node: "n1", to: .ready, reason: "run 7 applied its readying barclamps")])
        let failure = RunFailure(step: 2, node: "n1", resource: "package chrony", message: "exit 100")
        #expect(RunOutcome.effects(of: subjects(node: "n1", nodeNow: .readying), ending: .failed, failure: failure)
            == [.nodeState(node: "n1", to: .problem, reason: "run 7 failed: step 2 on n1, package chrony: exit 100")])
        // A node that moved on meanwhile (deleted, or already ready) is not pushed back.
        #expect(RunOutcome.effects(of: subjects(node: "n1", nodeNow: .ready), ending: .succeeded, failure: nil).isEmpty)
        #expect(RunOutcome.effects(of: subjects(node: "n1", nodeNow: nil), ending: .failed, failure: nil).isEmpty)
    }
}

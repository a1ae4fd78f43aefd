@testable import CrowbarCore
import Testing

@Suite struct NodeLifecycleTests {
    @Test func everyStateHasARowAndDeletedIsFinal() {
        #expect(Set(NodeLifecycle.table.keys) == Set(NodeState.allCases))
        #expect(NodeLifecycle.allowedTargets(from: .deleted).isEmpty)
        for state in NodeState.allCases where state != .deleted {
            #expect(NodeLifecycle.allowedTargets(from: state).contains(.deleted), "\(state) cannot be deleted")
        }
    }

    @Test(arguments: NodeState.allCases)
    func legalAndIllegalMovesFromEachState(from: NodeState) {
        for to in NodeState.allCases {
            let legal = NodeLifecycle.table[from]!.contains(to)
            do {
                try NodeLifecycle.validate(node: "n1", from: from, to: to)
                #expect(legal, "\(from) → \(to) was accepted")
            } catch {
                #expect(!legal, "\(from) → \(to) was refused")
                #expect(error == IllegalTransition(node: "n1", from: from, to: to))
            }
        }
    }

    @Test func theHappyPathIsLegal() throws {
        let path: [NodeState] = [.discovered, .allocated, .installing, .installed, .readying, .ready, .applying, .ready]
        for (from, to) in zip(path, path.dropFirst()) { try NodeLifecycle.validate(node: "n1", from: from, to: to) }
    }

    @Test func illegalMoveSaysWhatIsAllowed() {
        let error = IllegalTransition(node: "n1", from: .discovered, to: .ready)
        #expect(error.description == "node n1 cannot go from discovered to ready (allowed: allocated, deleted, discovering, problem)")
    }
}

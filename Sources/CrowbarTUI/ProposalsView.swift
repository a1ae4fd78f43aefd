import CrowbarCore

/// The proposals screen: every proposal in run order with its status, one selected; Enter opens its form.
public struct ProposalsView: Sendable, Hashable {
    public var selected: ProposalRef?
    public var top = 0
    /// The opened proposal's form.
    public var form: ProposalForm?

    public init() {}

    /// The proposals in run order: by their barclamp's order, then barclamp and proposal name.
    public static func ordered(_ proposals: [Proposal], barclamps: [String: Barclamp]) -> [Proposal] {
        proposals.sorted {
            (barclamps[$0.barclamp]?.order ?? .max, $0.barclamp, $0.name) < (barclamps[$1.barclamp]?.order ?? .max, $1.barclamp, $1.name)
        }
    }

    /// What a key does on the list or in the open form.
    public mutating func handle(_ key: Key, proposals: [ProposalRef: Proposal], barclamps: [String: Barclamp], nodes: [String]) -> TUIRequest? {
        if var form {
            guard let proposal = proposals[form.proposal], let barclamp = barclamps[form.proposal.barclamp] else {
                self.form = nil
                return nil
            }
            let action = form.handle(key, proposal: proposal, barclamp: barclamp, nodes: nodes)
            self.form = form
            switch action {
            case .close: self.form = nil
            case .request(let request): return request
            case nil: break
            }
            return nil
        }
        let list = Self.ordered(Array(proposals.values), barclamps: barclamps).map(ProposalRef.init)
        if let moved = ListNavigation.index(after: key, from: list.firstIndex { $0 == selected } ?? 0, count: list.count) {
            selected = list.isEmpty ? nil : list[moved]
        } else if key == .enter, let chosen = list.first(where: { $0 == selected }) ?? list.first {
            selected = chosen
            form = ProposalForm(proposal: chosen)
        }
        return nil
    }
}

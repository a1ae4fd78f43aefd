import CrowbarCore

extension CrowbarClient {
    private func proposalEndpoint(_ barclamp: String, _ name: String, _ rest: String..., secrets: Bool = false) -> Endpoint {
        var endpoint = Endpoint("proposals", barclamp, name, query: secrets ? [("secrets", "true")] : [])
        endpoint.segments += rest
        return endpoint
    }

    /// `GET /proposals[/{barclamp}]`.
    public func proposals(barclamp: String? = nil, secrets: Bool = false) async throws -> [Proposal] {
        let query = secrets ? [("secrets", "true" as String?)] : []
        let endpoint = barclamp.map { Endpoint("proposals", $0, query: query) } ?? Endpoint("proposals", query: query)
        return try await send(.GET, endpoint)
    }

    /// `POST /proposals/{barclamp}`: a draft from the barclamp's defaults.
    public func createProposal(barclamp: String, name: String) async throws -> Proposal {
        try await send(.POST, Endpoint("proposals", barclamp), body: ProposalCreation(name: name))
    }

    /// `GET /proposals/{barclamp}/{name}`; secrets masked unless `secrets`.
    public func proposal(barclamp: String, name: String, secrets: Bool = false) async throws -> Proposal {
        try await send(.GET, proposalEndpoint(barclamp, name, secrets: secrets))
    }

    /// `PATCH /proposals/{barclamp}/{name}`: attribute edits, all or nothing; with `ifVersion`, refused (412) when
    /// the proposal changed since that version was read.
    public func edit(barclamp: String, name: String, edits: [AttributeEdit], ifVersion: Int? = nil) async throws -> Proposal {
        try await send(.PATCH, proposalEndpoint(barclamp, name), body: ProposalEdits(edits: edits), headers: Self.ifMatch(ifVersion))
    }

    /// `PUT /proposals/{barclamp}/{name}/deployment/{role}`: exactly these nodes (`ifVersion` as for ``edit``).
    public func assign(barclamp: String, name: String, role: String, nodes: [String], ifVersion: Int? = nil) async throws -> Proposal {
        try await send(
            .PUT, proposalEndpoint(barclamp, name, "deployment", role), body: RoleAssignment(nodes: nodes), headers: Self.ifMatch(ifVersion))
    }

    /// `POST /proposals/{barclamp}/{name}/commit[?apply=false]` (`ifVersion` as for ``edit``).
    public func commit(barclamp: String, name: String, apply: Bool = true, ifVersion: Int? = nil) async throws -> CommitResult {
        var endpoint = proposalEndpoint(barclamp, name, "commit")
        if !apply { endpoint.query.append(("apply", "false")) }
        return try await send(.POST, endpoint, headers: Self.ifMatch(ifVersion))
    }

    private static func ifMatch(_ version: Int?) -> [(String, String)] { version.map { [("If-Match", "\"\($0)\"")] } ?? [] }

    /// `POST /proposals/{barclamp}/{name}/check`: a check-mode run of the committed revision.
    public func check(barclamp: String, name: String) async throws -> Run { try await send(.POST, proposalEndpoint(barclamp, name, "check")) }

    /// `POST /proposals/{barclamp}/{name}/deactivate`.
    public func deactivate(barclamp: String, name: String) async throws -> Proposal {
        try await send(.POST, proposalEndpoint(barclamp, name, "deactivate"))
    }

    /// `DELETE /proposals/{barclamp}/{name}`.
    public func deleteProposal(barclamp: String, name: String) async throws { _ = try await send(.DELETE, proposalEndpoint(barclamp, name)) }

    /// `GET /proposals/{barclamp}/{name}/revisions`.
    public func revisions(barclamp: String, name: String) async throws -> [ProposalRevision] {
        try await send(.GET, proposalEndpoint(barclamp, name, "revisions"))
    }

    /// `GET /proposals/{barclamp}/{name}/revisions/{number}`; secrets masked unless `secrets`.
    public func revision(barclamp: String, name: String, number: Int, secrets: Bool = false) async throws -> ProposalRevision {
        try await send(.GET, proposalEndpoint(barclamp, name, "revisions", String(number), secrets: secrets))
    }

    /// `GET /proposals/{barclamp}/{name}/diff`: from a revision (default the last committed) to another (default the
    /// working copy); 0 is the empty proposal.
    public func diff(barclamp: String, name: String, from: Int? = nil, to: Int? = nil) async throws -> [ProposalChange] {
        var endpoint = proposalEndpoint(barclamp, name, "diff")
        endpoint.query = [("from", from.map(String.init)), ("to", to.map(String.init))]
        return try await send(.GET, endpoint)
    }

    /// `GET /proposals/{barclamp}/{name}/plan`: what committing the working copy would run.
    public func plan(barclamp: String, name: String) async throws -> Plan { try await send(.GET, proposalEndpoint(barclamp, name, "plan")) }
}

/// One reason a proposal edit or commit is refused: thrown alone by an edit the barclamp's schema refuses, and
/// collected by the validator before a commit.
public struct ProposalIssue: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The attribute path, `deployment.<role>`, `name` or `requires` at fault.
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// A proposal that failed validation, with every issue found.
public struct ProposalValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var issues: [ProposalIssue]

    public var description: String { issues.map(\.description).joined(separator: "; ") }
}

/// What a proposal is validated against, besides its own barclamp.
public struct ValidationContext: Sendable {
    public var catalog: BarclampCatalog
    /// Names of every node the admin node knows.
    public var knownNodes: Set<String>
    /// The active proposals of other barclamps (or other proposals of this one).
    public var activeProposals: [Proposal]

    public init(catalog: BarclampCatalog, knownNodes: Set<String>, activeProposals: [Proposal]) {
        self.catalog = catalog
        self.knownNodes = knownNodes
        self.activeProposals = activeProposals
    }
}

/// Checks a proposal before anything touches a node: attribute types and required values,
/// role counts, unknown roles and nodes, role conflicts and required barclamps.
public enum ProposalValidator {
    /// Every issue with `content` as a proposal of `barclamp`; empty means it may be committed.
    public static func issues(
        in content: ProposalContent, of barclamp: Barclamp, proposalName: String, context: ValidationContext
    ) -> [ProposalIssue] {
        var issues: [ProposalIssue] = []
        do {
            _ = try barclamp.schema.check(content.attributes, path: "attributes")
        } catch {
            issues.append(ProposalIssue(field: error.path, message: error.message))
        }
        issues += missingRequiredAttributes(in: content.attributes, schema: barclamp.schema, path: ["attributes"])
        issues += deploymentIssues(content, barclamp: barclamp, knownNodes: context.knownNodes)
        issues += conflictIssues(content, barclamp: barclamp, proposalName: proposalName, context: context)
        for required in barclamp.requires {
            let satisfied = context.activeProposals.contains { $0.barclamp == required && $0.status.isActive }
            if !satisfied {
                issues.append(ProposalIssue(
                    field: "requires", message: "barclamp \(barclamp.name) requires an active \(required) proposal; commit one first"))
            }
        }
        return issues
    }

    /// Throws ``ProposalValidationError`` when ``issues(in:of:proposalName:context:)`` finds any.
    public static func validate(
        _ content: ProposalContent, of barclamp: Barclamp, proposalName: String, context: ValidationContext
    ) throws(ProposalValidationError) {
        let found = issues(in: content, of: barclamp, proposalName: proposalName, context: context)
        if !found.isEmpty { throw ProposalValidationError(issues: found) }
    }

    private static func missingRequiredAttributes(
        in value: AttributeValue, schema: AttributeSchema, path: [String]
    ) -> [ProposalIssue] {
        guard case .object(let properties) = schema.kind else { return [] }
        var issues: [ProposalIssue] = []
        for name in properties.keys.sorted() {
            let property = properties[name]!
            let child = value.value(at: [name])
            if property.required, child == nil || child == .null {
                issues.append(ProposalIssue(field: (path + [name]).joined(separator: "."), message: "is required"))
            } else if let child {
                issues += missingRequiredAttributes(in: child, schema: property, path: path + [name])
            }
        }
        return issues
    }

    private static func deploymentIssues(
        _ content: ProposalContent, barclamp: Barclamp, knownNodes: Set<String>
    ) -> [ProposalIssue] {
        var issues: [ProposalIssue] = []
        for role in content.deployment.keys.sorted() where barclamp.role(named: role) == nil {
            issues.append(ProposalIssue(field: "deployment.\(role)", message: "barclamp \(barclamp.name) has no such role"))
        }
        for role in barclamp.roles {
            let nodes = content.deployment[role.name] ?? []
            if nodes.count < role.min {
                issues.append(ProposalIssue(
                    field: "deployment.\(role.name)", message: "needs at least \(role.min) node(s), has \(nodes.count)"))
            }
            if let maximum = role.max, nodes.count > maximum {
                issues.append(ProposalIssue(
                    field: "deployment.\(role.name)", message: "allows at most \(maximum) node(s), has \(nodes.count)"))
            }
            for node in nodes where !knownNodes.contains(node) {
                issues.append(ProposalIssue(field: "deployment.\(role.name)", message: "unknown node '\(node)'"))
            }
        }
        return issues
    }

    private static func conflictIssues(
        _ content: ProposalContent, barclamp: Barclamp, proposalName: String, context: ValidationContext
    ) -> [ProposalIssue] {
        var rolesByNode: [String: Set<String>] = [:]
        for other in context.activeProposals where !(other.barclamp == barclamp.name && other.name == proposalName) {
            for (role, nodes) in other.content.deployment { for node in nodes { rolesByNode[node, default: []].insert(role) } }
        }
        for (role, nodes) in content.deployment { for node in nodes { rolesByNode[node, default: []].insert(role) } }
        var conflictsByRole: [String: Set<String>] = [:]
        for candidate in context.catalog.runOrder.flatMap(\.roles) {
            for conflict in candidate.conflicts {
                conflictsByRole[candidate.name, default: []].insert(conflict)
                conflictsByRole[conflict, default: []].insert(candidate.name)
            }
        }
        var issues: [ProposalIssue] = []
        for role in barclamp.roles {
            for node in content.deployment[role.name] ?? [] {
                let clashing = (rolesByNode[node] ?? []).intersection(conflictsByRole[role.name] ?? []).sorted()
                for other in clashing {
                    issues.append(ProposalIssue(
                        field: "deployment.\(role.name)", message: "node '\(node)' also has role '\(other)', which conflicts with '\(role.name)'"))
                }
            }
        }
        return issues
    }
}

@testable import CrowbarCore
import Testing

@Suite struct ProposalTests {
    let catalog: BarclampCatalog
    let keystone: Barclamp
    let nova: Barclamp

    init() throws {
        catalog = try Fixtures.shippedCatalog()
        keystone = catalog["keystone"]!
        nova = catalog["nova"]!
    }

    func content(_ barclamp: Barclamp) -> ProposalContent {
        var counter = 0
        return ProposalEditor.initialContent(for: barclamp) {
            counter += 1
            return "secret-\(counter)"
        }
    }

    func active(_ barclamp: String, deployment: [String: [String]] = [:]) -> Proposal {
        Proposal(
            barclamp: barclamp, name: "default", status: .committed,
            content: ProposalContent(attributes: .map([:]), deployment: deployment), revision: 1, hasPendingChanges: false,
            createdAt: .distantPast, updatedAt: .distantPast)
    }

    @Test func newProposalHasDefaultsAndGeneratedSecrets() {
        let initial = content(keystone)
        #expect(initial.attributes.value(at: ["region"]) == .string("RegionOne"))
        guard case .string(let password)? = initial.attributes.value(at: ["admin_password"]) else {
            Issue.record("admin_password was not generated")
            return
        }
        #expect(password.hasPrefix("secret-"))
        #expect(initial.attributes.value(at: ["db", "password"]) != initial.attributes.value(at: ["admin_password"]))
        #expect(initial.deployment == ["keystone-server": []])
    }

    @Test func secretsAreMaskedInRedactionAndDiff() {
        let initial = content(keystone)
        let redacted = SecretPaths.redact(initial.attributes, for: keystone)
        #expect(redacted.value(at: ["admin_password"]) == .string(SecretPaths.mask))
        #expect(redacted.value(at: ["region"]) == .string("RegionOne"))
        var changed = initial
        changed.attributes = changed.attributes.setting(.string("new-password"), at: ["admin_password"])
        let changes = ProposalDiff.changes(from: initial, to: changed, barclamp: keystone)
        #expect(changes == [ProposalChange(path: "attributes.admin_password", kind: .changed, old: SecretPaths.mask, new: SecretPaths.mask)])
    }

    @Test func setChecksTypesAgainstTheSchema() throws {
        let initial = content(keystone)
        let updated = try ProposalEditor.set("token_expiration", text: "7200", in: initial, barclamp: keystone)
        #expect(updated.attributes.value(at: ["token_expiration"]) == .integer(7200))
        #expect(throws: ProposalIssue.self) { try ProposalEditor.set("token_expiration", text: "soon", in: initial, barclamp: keystone) }
        #expect(throws: ProposalIssue.self) { try ProposalEditor.set("token_expiration", to: .string("7200"), in: initial, barclamp: keystone) }
        #expect(throws: ProposalIssue.self) { try ProposalEditor.set("no_such_thing", text: "1", in: initial, barclamp: keystone) }
        #expect(throws: ProposalIssue.self) { try ProposalEditor.set("token_provider", text: "uuid", in: initial, barclamp: keystone) }
        let nested = try ProposalEditor.set("db.user", text: "ks", in: initial, barclamp: keystone)
        #expect(nested.attributes.value(at: ["db", "user"]) == .string("ks"))
    }

    /// Names that reach commands, SQL and file names carry a pattern in the shipped barclamps: a value outside it is
    /// refused when it is set, whatever the quoting of the recipes would have made of it.
    @Test func namesOutsideTheirPatternAreRefused() throws {
        let initial = content(keystone)
        for (path, bad) in [("db.user", "ks'; DROP USER root; --"), ("db.database", "Keystone"), ("region", "Region One"), ("admin_user", "")] {
            #expect(throws: ProposalIssue.self, "\(path) = \(bad)") { try ProposalEditor.set(path, to: .string(bad), in: initial, barclamp: keystone) }
        }
        let provisioner = try #require(catalog["provisioner"])
        #expect(throws: ProposalIssue.self) { try ProposalEditor.set("timezone", text: "../../etc/shadow", in: content(provisioner), barclamp: provisioner) }
        let zone = try ProposalEditor.set("timezone", text: "America/Argentina/Buenos_Aires", in: content(provisioner), barclamp: provisioner)
        #expect(zone.attributes.value(at: ["timezone"]) == .string("America/Argentina/Buenos_Aires"))
    }

    @Test func objectValuesAreCheckedProperty() throws {
        let initial = content(keystone)
        do {
            _ = try ProposalEditor.set("db", text: #"{"user": "a", "colour": "red"}"#, in: initial, barclamp: keystone)
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "db.colour")
        }
    }

    @Test func assignRefusesUnknownRolesAndKeepsNodesSorted() throws {
        let initial = content(nova)
        let assigned = try ProposalEditor.assign(["n2", "n1", "n2"], to: "nova-compute-qemu", in: initial, barclamp: nova)
        #expect(assigned.deployment["nova-compute-qemu"] == ["n1", "n2"])
        #expect(throws: ProposalIssue.self) { try ProposalEditor.assign(["n1"], to: "nova-compute-xen", in: initial, barclamp: nova) }
        #expect(throws: ProposalIssue.self) { try ProposalEditor.assign(["N 1"], to: "nova-controller", in: initial, barclamp: nova) }
    }

    @Test func validatorReportsRoleCountsUnknownNodesAndMissingRequirements() throws {
        var proposal = content(keystone)
        proposal = try ProposalEditor.assign(["a", "ghost"], to: "keystone-server", in: proposal, barclamp: keystone)
        let context = ValidationContext(catalog: catalog, knownNodes: ["a"], activeProposals: [active("database")])
        let issues = ProposalValidator.issues(in: proposal, of: keystone, proposalName: "default", context: context)
        #expect(issues.contains(ProposalIssue(field: "deployment.keystone-server", message: "allows at most 1 node(s), has 2")))
        #expect(issues.contains(ProposalIssue(field: "deployment.keystone-server", message: "unknown node 'ghost'")))
        #expect(issues.contains { $0.field == "requires" && $0.message.contains("memcached") })
        #expect(!issues.contains { $0.field == "requires" && $0.message.contains("database") })
        let empty = content(keystone)
        let emptyIssues = ProposalValidator.issues(in: empty, of: keystone, proposalName: "default", context: context)
        #expect(emptyIssues.contains(ProposalIssue(field: "deployment.keystone-server", message: "needs at least 1 node(s), has 0")))
    }

    @Test func validProposalPasses() throws {
        let proposal = try ProposalEditor.assign(["a"], to: "keystone-server", in: content(keystone), barclamp: keystone)
        let context = ValidationContext(catalog: catalog, knownNodes: ["a"], activeProposals: [active("database"), active("memcached")])
        #expect(ProposalValidator.issues(in: proposal, of: keystone, proposalName: "default", context: context) == [])
    }

    @Test func conflictingRolesOnOneNodeAreRefused() throws {
        var proposal = content(nova)
        proposal = try ProposalEditor.assign(["c1"], to: "nova-controller", in: proposal, barclamp: nova)
        proposal = try ProposalEditor.assign(["h1"], to: "nova-compute-qemu", in: proposal, barclamp: nova)
        proposal = try ProposalEditor.assign(["h1"], to: "nova-compute-kvm", in: proposal, barclamp: nova)
        let required = ["keystone", "rabbitmq", "glance", "placement", "neutron"].map { active($0) }
        let context = ValidationContext(catalog: catalog, knownNodes: ["c1", "h1"], activeProposals: required)
        let issues = ProposalValidator.issues(in: proposal, of: nova, proposalName: "default", context: context)
        #expect(issues.contains { $0.field == "deployment.nova-compute-qemu" && $0.message.contains("nova-compute-kvm") })
        #expect(issues.contains { $0.field == "deployment.nova-compute-kvm" && $0.message.contains("nova-compute-qemu") })
    }

    @Test func requiredAttributeMustHaveAValue() throws {
        let schema = AttributeSchema(kind: .string, required: true)
        let barclamp = Barclamp(
            name: "x", display: "x", description: "", order: 1, roles: [Role(name: "r", priority: 1, recipe: "x/r")],
            attributes: ["endpoint": schema])
        let context = ValidationContext(catalog: try BarclampCatalog([barclamp]), knownNodes: [], activeProposals: [])
        let issues = ProposalValidator.issues(
            in: ProposalContent(attributes: .map([:]), deployment: [:]), of: barclamp, proposalName: "p", context: context)
        #expect(issues == [ProposalIssue(field: "attributes.endpoint", message: "is required")])
    }

    @Test func diffListsAddedRemovedAndChangedLeaves() {
        let old = ProposalContent(attributes: .map(["a": .integer(1), "b": .string("x")]), deployment: ["r": ["n1"]])
        let new = ProposalContent(attributes: .map(["a": .integer(2), "c": .boolean(true)]), deployment: ["r": ["n1", "n2"]])
        let changes = ProposalDiff.changes(from: old, to: new, barclamp: keystone)
        #expect(changes.map(\.description) == [
            "~ attributes.a: 1 → 2", "- attributes.b: x", "+ attributes.c: true", "~ deployment.r: n1 → n1, n2",
        ])
    }
}

@Suite struct ListAttributeTests {
    @Test func listItemsCannotBeSetOneByOne() throws {
        let dns = try Fixtures.shippedCatalog()["dns"]!
        let content = ProposalEditor.initialContent(for: dns) { "s" }
        #expect(throws: ProposalIssue.self) { try ProposalEditor.set("forwarders.0", text: "1.1.1.1", in: content, barclamp: dns) }
        let whole = try ProposalEditor.set("forwarders", text: #"["1.1.1.1", "9.9.9.9"]"#, in: content, barclamp: dns)
        #expect(whole.attributes.value(at: ["forwarders"]) == .list([.string("1.1.1.1"), .string("9.9.9.9")]))
    }
}

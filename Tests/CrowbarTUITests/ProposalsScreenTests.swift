import CrowbarCore
import CrowbarTUI
import Foundation
import Testing

/// A barclamp with one attribute of each kind a form handles, and two roles.
let keystone = Barclamp(
    name: "keystone", display: "Keystone", description: "Identity.", order: 30,
    roles: [
        Role(name: "keystone-server", priority: 10, min: 1, max: 1, recipe: "keystone/server"),
        Role(name: "keystone-client", priority: 20, recipe: "keystone/client"),
    ],
    attributes: [
        "debug": AttributeSchema(kind: .boolean, description: "Verbose service logs.", defaultValue: .boolean(false)),
        "log_level": AttributeSchema(kind: .string, description: "How much is logged.", defaultValue: .string("info"), choices: ["debug", "info", "warning"]),
        "port": AttributeSchema(kind: .integer, description: "The API port.", defaultValue: .integer(5000)),
        "admin_password": AttributeSchema(kind: .string, description: "The admin's password.", secret: true),
        "db": AttributeSchema(kind: .object(properties: ["host": AttributeSchema(kind: .string, description: "Database host.")])),
    ])

func keystoneProposal(pending: Bool = false) -> Proposal {
    proposal(
        "keystone", attributes: [
            "debug": .boolean(false), "log_level": .string("info"), "port": .integer(5000), "admin_password": .string(SecretPaths.mask),
            "db": .map(["host": .string("192.168.124.81")]),
        ],
        deployment: ["keystone-server": ["d52-54-00-77-00-01"], "keystone-client": []], pending: pending)
}

/// A UI on the proposals screen with keystone's proposal and two nodes.
func proposalsUI() -> TUIModel {
    var ui = model([node(1, .ready), node(2, .ready)])
    ui.receive(.barclamps([keystone]))
    ui.receive(.proposals([keystoneProposal(), proposal("database", status: .failed)]))
    _ = ui.handle(.character("2"))
    return ui
}

let ref = ProposalRef(barclamp: "keystone", name: "default")

@Suite("TUI: the proposals screen and its form")
struct ProposalsScreenTests {
    @Test func proposalsAreListedInRunOrderWithStatusAndOpenIntoATypedForm() {
        var ui = proposalsUI()
        let list = ui.render(width: 80, height: 24)
        let lines = list.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix(" crowbar   1 nodes  [2 proposals]  3 runs"))
        #expect(lines[1].hasPrefix("BARCLAMP         PROPOSAL         STATUS      REV  EDITS   NODES"))
        #expect(lines[2].hasPrefix("keystone         default          applied     3    -       1"), "barclamps with an order first")
        #expect(lines[3].hasPrefix("database         default          failed"))
        #expect(list.styles[3][0] == .failed)
        #expect(lines[23 - 1].hasPrefix("Keystone: Identity."))
        _ = ui.handle(.enter)
        let form = ui.render(width: 80, height: 24).text
        #expect(form.contains("keystone/default · applied, revision 3"))
        #expect(form.contains("  admin_password                 ********"), "secrets are masked")
        #expect(form.contains("  db.host                        192.168.124.81"), "objects open into their properties")
        #expect(form.contains("  log_level                      info") && form.contains("choice"))
        #expect(form.contains("  role keystone-server           d52-54-00-77-00-01") && form.contains("min 1 max 1"))
        #expect(form.contains("The admin's password."), "the selected row's description")
        #expect(ui.handle(.escape) == nil)
        #expect(ui.proposalsView.form == nil)
    }

    @Test func booleansToggleChoicesArePickedAndTypedValuesAreCheckedBeforeTheyAreSent() {
        var ui = proposalsUI()
        _ = ui.handle(.enter)
        let rows = FormRow.rows(of: keystone)
        func go(to path: String) {
            _ = ui.handle(.home)
            let index = rows.firstIndex { if case .attribute(path, _) = $0 { true } else { false } }!
            for _ in 0..<index { _ = ui.handle(.down) }
        }
        go(to: "debug")
        #expect(ui.handle(.enter) == .send(.edit(ref, AttributeEdit(path: "debug", value: .boolean(true)), version: 1)), "no confirmation for a working-copy edit")
        go(to: "log_level")
        #expect(ui.handle(.enter) == nil)
        #expect(ui.render(width: 80, height: 24).text.contains("(•) info"))
        _ = ui.handle(.down)
        #expect(ui.handle(.enter) == .send(.edit(ref, AttributeEdit(path: "log_level", value: .string("warning")), version: 1)))
        go(to: "port")
        _ = ui.handle(.enter)
        #expect(ui.render(width: 80, height: 24).text.contains("port = 5000_"))
        for _ in 0..<4 { _ = ui.handle(.backspace) }
        for character in "80x" { _ = ui.handle(.character(character)) }
        #expect(ui.handle(.enter) == nil, "a bad value is not sent")
        let refused = ui.render(width: 80, height: 24)
        #expect(refused.text.contains("refused: port: '80x' is not a valid integer"))
        #expect(refused.styles[22][0] == .failed)
        _ = ui.handle(.backspace)
        #expect(ui.handle(.character("q")) == nil, "q types while editing")
        _ = ui.handle(.backspace)
        #expect(ui.handle(.enter) == .send(.edit(ref, AttributeEdit(path: "port", text: "80"), version: 1)))
        go(to: "admin_password")
        _ = ui.handle(.enter)
        for character in "s3cret" { _ = ui.handle(.character(character)) }
        #expect(ui.render(width: 80, height: 24).text.contains("admin_password = ******_"), "a secret is typed masked")
        _ = ui.handle(.escape)
        #expect(ui.proposalsView.form?.editing == nil)
    }

    @Test func secretsAreRevealedOnRequestAndRolesArePickedFromTheNodes() {
        var ui = proposalsUI()
        _ = ui.handle(.enter)
        #expect(ui.handle(.character("s")) == .send(.reveal(ref)))
        var clear = keystoneProposal()
        clear.content.attributes = clear.content.attributes.setting(.string("hunter2"), at: ["admin_password"])
        ui.receive(.revealed(clear))
        #expect(ui.render(width: 80, height: 24).text.contains("  admin_password                 hunter2"))
        #expect(ui.handle(.character("s")) == nil)
        #expect(ui.render(width: 80, height: 24).text.contains("  admin_password                 ********"))
        _ = ui.handle(.end)
        _ = ui.handle(.enter)
        let picker = ui.render(width: 80, height: 24).text
        #expect(picker.contains("[ ] d52-54-00-77-00-01") && picker.contains("[ ] d52-54-00-77-00-02"))
        #expect(picker.contains("Nodes of keystone-client: space marks, Enter assigns"))
        _ = ui.handle(.character(" "))
        _ = ui.handle(.down)
        _ = ui.handle(.character(" "))
        #expect(ui.handle(.enter) == .send(.assign(ref, role: "keystone-client", nodes: ["d52-54-00-77-00-01", "d52-54-00-77-00-02"], version: 1)))
        _ = ui.handle(.enter)
        _ = ui.handle(.escape)
        #expect(ui.proposalsView.form?.picker == nil, "Esc leaves the role as it was")
    }

    @Test func planAndDiffShowOverTheFormAndCommitsAskFirst() {
        var ui = proposalsUI()
        _ = ui.handle(.enter)
        #expect(ui.handle(.character("v")) == .send(.diff(ref)))
        ui.receive(.diff(ref, [ProposalChange(path: "attributes.port", kind: .changed, old: "5000", new: "80")]))
        let diff = ui.render(width: 80, height: 24)
        #expect(diff.text.contains("Changes since the last committed revision:\n~ attributes.port: 5000 → 80"))
        _ = ui.handle(.character("x"))
        #expect(ui.proposalsView.form?.panel == nil, "any key closes the panel")
        #expect(ui.handle(.character("p")) == .send(.plan(ref)))
        let step = PlanStep(index: 1, barclamp: "keystone", proposal: "default", role: "keystone-server", priority: 10, recipe: "keystone/server", nodes: ["d52-54-00-77-00-01"])
        ui.receive(.plan(ref, Plan(steps: [step])))
        let plan = ui.render(width: 80, height: 24).text
        #expect(plan.contains("Plan if committed (1 steps, 1 node applies):"))
        #expect(plan.contains("1     keystone  default   keystone-server  d52-54-00-77-00-01"))
        _ = ui.handle(.escape)
        #expect(ui.handle(.character("c")) == nil)
        #expect(ui.render(width: 80, height: 24).text.hasSuffix("Commit keystone/default and apply it to its nodes? [y/N]"))
        #expect(ui.handle(.character("y")) == .send(.commit(ref, apply: true, version: 1)))
        _ = ui.handle(.character("C"))
        #expect(ui.handle(.character("y")) == .send(.commit(ref, apply: false, version: 1)))
        #expect(ui.handle(.character("t")) == .send(.check(ref)), "a check run changes nothing: no question")
        ui.receive(.watch(42))
        #expect(ui.screen == .runs)
        #expect(ui.runsView.open == 42)
    }
}

import CrowbarCore
import CrowbarTUI
import Foundation
import Testing

/// A node as the API would answer it: `index` picks its MAC and admin address.
func node(_ index: Int, _ state: NodeState, cpus: Int = 2, memoryMB: Int = 4096) -> Node {
    let mac = MACAddress(bytes: [0x52, 0x54, 0x00, 0x77, 0x00, UInt8(index)])
    return Node(
        name: Node.defaultName(bootMAC: mac), state: state, macs: [mac],
        inventory: Inventory(cpuCount: cpus, memoryMB: memoryMB, disks: [.init(name: "vda", sizeBytes: 21_474_836_480)], bmcAddress: "10.0.0.\(index)"),
        adminAddress: state >= .allocated ? IPv4Address("192.168.124.\(80 + index)") : nil,
        createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0))
}

/// A UI connected to a crowbard with `nodes`, whose `roles` (by node) come from applied proposals, one per role.
func model(_ nodes: [Node], roles: [String: [String]] = [:]) -> TUIModel {
    var model = TUIModel(url: "http://127.0.0.1:3000")
    model.receive(.nodes(nodes))
    var order: [String] = []
    for name in roles.keys.sorted() { for role in roles[name]! where !order.contains(role) { order.append(role) } }
    model.receive(.proposals(order.enumerated().map { index, role in
        proposal(String(format: "r%02d", index), deployment: [role: roles.keys.filter { roles[$0]!.contains(role) }.sorted()])
    }))
    model.receive(.connected)
    return model
}

/// A proposal named `default` as the API answers it (secrets masked).
func proposal(
    _ barclamp: String, status: ProposalStatus = .applied, attributes: [String: AttributeValue] = [:], deployment: [String: [String]] = [:],
    pending: Bool = false
) -> Proposal {
    Proposal(
        barclamp: barclamp, name: "default", status: status, content: ProposalContent(attributes: .map(attributes), deployment: deployment),
        revision: status == .draft ? 0 : 3, hasPendingChanges: pending, createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0))
}

/// A run of `steps` (role, nodes, status, results) started at 1,000 s past the epoch.
func run(_ id: Int64, _ status: RunStatus, steps: [(String, [String], StepStatus, [NodeApplyResult])] = [], failure: RunFailure? = nil) -> Run {
    let start = Date(timeIntervalSince1970: 1_000)
    return Run(
        id: id, barclamp: "nova", proposal: "default", revision: 3, checkMode: false, status: status, createdAt: start, startedAt: start,
        finishedAt: status.isFinished ? start.addingTimeInterval(83) : nil, failure: failure,
        steps: steps.enumerated().map { index, step in
            RunStep(
                plan: PlanStep(index: index + 1, barclamp: "nova", proposal: "default", role: step.0, priority: index, recipe: "nova/\(step.0)", nodes: step.1),
                status: step.2, results: step.3)
        })
}

/// One node's result: `changed` resources changed, `failed` fails it.
func result(_ node: String, changed: Int = 0, failed: Bool = false) -> NodeApplyResult {
    let resources = (0..<max(changed, 1)).map { ResourceResult(index: $0, resource: "r\($0)", status: failed ? .failed : changed > 0 ? .changed : .ok, output: "") }
    return NodeApplyResult(node: node, succeeded: !failed, resources: resources, startedAt: Date(), finishedAt: Date())
}

@Suite("TUI: the nodes screen")
struct NodesScreenTests {
    @Test func nodesAreGroupedByStateWithTheirDetailsAndCountsIn80x24() {
        var ui = model([node(3, .discovered), node(1, .ready), node(2, .ready)], roles: ["d52-54-00-77-00-01": ["keystone-server"]])
        let screen = ui.render(width: 80, height: 24)
        let lines = screen.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 24)
        #expect(lines[0] == " crowbar  [1 nodes]  2 proposals   3 runs   / filter")
        #expect(lines[1].hasPrefix("NAME                 STATE       ADDRESS         BOOT MAC          HARDWARE"))
        #expect(lines[2] == "── discovered (1)")
        #expect(lines[3].hasPrefix("d52-54-00-77-00-03   discovered  -               52:54:00:77:00:03 2c/4G/1×20G"))
        #expect(lines[4] == "── ready (2)")
        #expect(lines[5].hasPrefix("d52-54-00-77-00-01   ready       192.168.124.81"))
        #expect(lines[21] == "d52-54-00-77-00-03: MAC 52:54:00:77:00:03 · BMC 10.0.0.3")
        #expect(lines[22] == "roles: none · disks: vda 20G")
        #expect(lines[23] == " connected · no run · 3 nodes: 1 discovered 2 ready · ? keys  q quit")
        #expect(lines.allSatisfy { $0.count <= 80 })
        #expect(screen.styles[3].allSatisfy { $0 == .selected }, "the first node is selected")
        #expect(screen.styles[5][0] == .ok, "ready nodes read as ok")
    }

    @Test func movingTheSelectionShowsTheNodesDetailsAndRolesAndFollowsTheNode() {
        var ui = model([node(1, .ready), node(2, .ready)], roles: ["d52-54-00-77-00-02": ["nova-compute-qemu", "ceph-osd"]])
        _ = ui.render(width: 80, height: 24)
        #expect(ui.handle(.down) == nil)
        var text = ui.render(width: 80, height: 24).text
        #expect(text.contains("roles: nova-compute-qemu, ceph-osd · disks: vda 20G"))
        ui.receive(.node(node(0, .discovered)))  // a node appears above it: the selection stays on d…02
        _ = ui.render(width: 80, height: 24)
        #expect(ui.nodesView.selected == "d52-54-00-77-00-02")
        _ = ui.handle(.character("k"))
        #expect(ui.nodesView.selected == "d52-54-00-77-00-01")
        _ = ui.handle(.home)
        text = ui.render(width: 80, height: 24).text
        #expect(ui.nodesView.selected == "d52-54-00-77-00-00")
        #expect(text.contains("d52-54-00-77-00-00: MAC 52:54:00:77:00:00"))
    }

    @Test func typingAfterSlashFiltersEnterKeepsItEscClearsIt() {
        var ui = model([node(1, .ready), node(2, .discovered), node(3, .ready)], roles: ["d52-54-00-77-00-03": ["nova-controller"]])
        for key: Key in [.character("/"), .character("n"), .character("o"), .character("v"), .character("q")] { #expect(ui.handle(key) == nil) }
        #expect(ui.render(width: 80, height: 24).text.contains("filter: novq_"), "q types into the filter, it does not quit")
        _ = ui.handle(.backspace)
        _ = ui.handle(.enter)
        let filtered = ui.render(width: 80, height: 24).text
        #expect(filtered.contains("filter: nov  (Esc clears)"))
        #expect(filtered.contains("d52-54-00-77-00-03") && !filtered.contains("d52-54-00-77-00-01"))
        _ = ui.handle(.character("/"))
        for character in "zzz" { _ = ui.handle(.character(character)) }
        #expect(ui.render(width: 80, height: 24).text.contains("No node matches 'novzzz'."))
        _ = ui.handle(.escape)
        _ = ui.handle(.escape)
        let all = ui.render(width: 80, height: 24).text
        #expect(all.contains("d52-54-00-77-00-01") && all.contains("d52-54-00-77-00-02") && all.contains("/ filter"))
    }

    @Test func anActionIsSentOnlyAfterTheOperatorConfirmsIt() {
        var ui = model([node(1, .discovered)])
        _ = ui.render(width: 80, height: 24)
        #expect(ui.handle(.character("a")) == nil)
        #expect(ui.render(width: 80, height: 24).text.hasSuffix("Allocate d52-54-00-77-00-01 (admin address, then install)? [y/N]"))
        #expect(ui.handle(.character("y")) == .send(.node(.allocate("d52-54-00-77-00-01"))))
        _ = ui.handle(.character("c"))
        #expect(ui.render(width: 80, height: 24).text.hasSuffix("Power cycle d52-54-00-77-00-01 through its BMC? [y/N]"))
        #expect(ui.handle(.character("n")) == nil)
        #expect(ui.render(width: 80, height: 24).text.hasSuffix("cancelled"))
        #expect(ui.handle(.character("d")) == nil)
        #expect(ui.handle(.character("y")) == .send(.node(.delete("d52-54-00-77-00-01"))))
        _ = ui.handle(.character("r"))
        #expect(ui.render(width: 80, height: 24).text.hasSuffix("Reinstall d52-54-00-77-00-01 (its disk is overwritten)? [y/N]"))
        #expect(ui.handle(.character("y")) == .send(.node(.reinstall("d52-54-00-77-00-01"))))
        for (key, action) in [("o", PowerAction.on), ("f", .off)] {
            _ = ui.handle(.character(Character(key)))
            #expect(ui.handle(.character("Y")) == .send(.node(.power("d52-54-00-77-00-01", action))))
        }
        #expect(ui.handle(.character("t")) == nil)
        let picker = ui.render(width: 80, height: 24).text
        #expect(picker.contains("Move d52-54-00-77-00-01 to (↑↓, Enter; Esc leaves it):\n( ) discovering\n( ) allocated\n( ) problem"))
        #expect(ui.handle(.character("q")) == nil, "q does not quit from a picker")
        _ = ui.handle(.down)
        #expect(ui.handle(.enter) == nil)
        #expect(ui.render(width: 80, height: 24).text.hasSuffix("Move d52-54-00-77-00-01 to allocated? [y/N]"))
        #expect(ui.handle(.character("y")) == .send(.node(.transition("d52-54-00-77-00-01", .allocated))))
        _ = ui.handle(.character("t"))
        _ = ui.handle(.escape)
        #expect(ui.nodesView.picker == nil && ui.confirmation == nil, "Esc leaves the node as it was")
        #expect(model([]).nodesView.selected == nil)
        var empty = model([])
        #expect(empty.handle(.character("a")) == nil)
        #expect(empty.render(width: 80, height: 24).text.contains("No nodes yet"))
    }

    @Test func theSelectionScrollsIntoViewAndWideTerminalsShowRoles() {
        var ui = model((1...60).map { node($0, .ready) }, roles: ["d52-54-00-77-00-3c": ["nova-compute-kvm"]])
        _ = ui.render(width: 80, height: 24)
        _ = ui.handle(.end)
        let bottom = ui.render(width: 80, height: 24)
        #expect(bottom.text.contains("d52-54-00-77-00-3c   ready"))
        #expect(!bottom.text.contains("d52-54-00-77-00-01   ready"))
        _ = ui.handle(.pageUp)
        #expect(ui.nodesView.selected == "d52-54-00-77-00-32")
        let wide = ui.render(width: 132, height: 50)
        #expect(wide.text.contains("HARDWARE         ROLES"))
        _ = ui.handle(.end)
        #expect(ui.render(width: 132, height: 50).text.contains("2c/4G/1×20G      nova-compute-kvm"))
    }
}

@Suite("TUI: keys, help and the status bar")
struct TUIModelTests {
    @Test func helpListsTheKeysAndAnyKeyReturns() {
        var ui = model([node(1, .ready)])
        #expect(ui.handle(.character("?")) == nil)
        let help = ui.render(width: 80, height: 24).text
        #expect(help.contains(" crowbar · keys"))
        #expect(help.contains("  /  Esc                       nodes: filter by name, state, MAC, address, role"))
        #expect(help.split(separator: "\n").allSatisfy { $0.count <= 80 })
        #expect(ui.handle(.character("x")) == nil)
        #expect(ui.screen == .nodes)
        #expect(ui.handle(.character("q")) == .quit)
        #expect(ui.handle(.control("c")) == .quit)
    }

    @Test func theStatusBarSaysWhenCrowbardIsGoneAndCountsRuns() {
        var ui = model([node(1, .ready)])
        ui.receive(.runs([run(1, .running), run(2, .queued), run(3, .succeeded)]))
        #expect(ui.render(width: 80, height: 24).text.hasSuffix(" connected · 2 runs running · 1 nodes: 1 ready · ? keys  q quit"))
        ui.receive(.disconnected("connection refused"))
        let gone = ui.render(width: 80, height: 24)
        #expect(gone.text.hasSuffix("\n DISCONNECTED (connection refused), retrying · 2 runs running · 1 nodes: 1 read…"))
        #expect(gone.styles[23].allSatisfy { $0 == .warning }, "a gone crowbard shows in the warning style")
        ui.receive(.notice("failed: node d1 has no BMC"))
        #expect(ui.render(width: 80, height: 24).styles[23][0] == .failed)
        ui.receive(.connected)
        ui.receive(.notice("d1: power on done"))
        ui.receive(.disconnected("crowbard unreachable"))
        #expect(ui.render(width: 80, height: 24).text.contains(" DISCONNECTED (crowbard unreachable)"), "a disconnect replaces a notice")
        var tiny = TUIModel(url: "u")
        #expect(tiny.render(width: 30, height: 5).text.hasPrefix("crowbar tui: at least 40×8"))
    }
}

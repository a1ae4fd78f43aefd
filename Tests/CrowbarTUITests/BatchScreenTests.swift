import CrowbarCore
import CrowbarTUI
import Foundation
import Testing

@Suite("TUI: the batch screen")
struct BatchScreenTests {
    static let preview = BatchPreview(file: "cloud.yml", entries: [
        .init(position: 1, barclamp: "database", proposal: "default", action: .unchanged, changes: []),
        .init(position: 2, barclamp: "keystone", proposal: "default", action: .change, changes: [
            ProposalChange(path: "attributes.debug", kind: .changed, old: "false", new: "true"),
        ]),
        .init(position: 3, barclamp: "nova", proposal: "default", action: .create, changes: []),
    ])

    @Test func aLoadedFileShowsWhatItWouldDoAndAppliesAfterConfirmingThenShowsItsRuns() {
        var ui = TUIModel(url: "u", batchFile: "cloud.yml")
        #expect(ui.screen == .batch)
        #expect(ui.render(width: 80, height: 24).text.contains("Reading cloud.yml…"))
        ui.receive(.batchPreview(Self.preview))
        _ = ui.handle(.down)
        let text = ui.render(width: 80, height: 24).text
        #expect(text.contains(" crowbar   1 nodes   2 proposals   3 runs  [4 batch]"))
        #expect(text.contains("cloud.yml: 1 create, 1 change, 1 unchanged · a applies"))
        #expect(text.contains("  2 change     keystone/default                 1 change"))
        #expect(text.contains("  ~ attributes.debug: false → true"), "the selected entry's changes")
        #expect(ui.handle(.character("a")) == nil)
        #expect(ui.handle(.character("y")) == .send(.applyBatch))
        ui.receive(.batch(Batch(id: 5, file: "cloud.yml", force: false, status: .running, createdAt: Date(), entries: [
            BatchEntry(position: 1, barclamp: "database", proposal: "default", revision: 2, outcome: .unchanged),
            BatchEntry(position: 2, barclamp: "keystone", proposal: "default", revision: 4, outcome: .applying, run: 31),
            BatchEntry(position: 3, barclamp: "nova", proposal: "default", revision: 1, outcome: .pending),
        ])))
        let applying = ui.render(width: 80, height: 24).text
        #expect(applying.contains("batch 5 (cloud.yml): running, 1 of 3 done"))
        #expect(applying.contains("  2 keystone/default                 applying   run 31"))
        #expect(ui.handle(.character("a")) == nil, "a batch is applied once")
        #expect(ui.handle(.enter) == .send(.followRun(31)))
        #expect(ui.screen == .runs && ui.runsView.open == 31)
        _ = ui.handle(.tab)
        #expect(ui.screen == .batch, "Tab cycles through the batch screen")
    }
}

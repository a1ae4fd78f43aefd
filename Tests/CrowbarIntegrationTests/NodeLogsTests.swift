import CrowbarLab
import Foundation
import Testing

/// A failed deploy-day keeps the end of the nodes' service logs (real files in a lab state folder laid out as the lab's).
@Suite final class NodeLogsTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-node-logs-\(UUID().uuidString)").path

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    @Test func theEndOfEachServiceLogIsKeptFromALineStartWithTheLastErrors() throws {
        let layout = LabLayout(stateDirectory: folder + "/lab")
        let nova = layout.nodeDirectory(2) + "/root/var/log/nova"
        try FileManager.default.createDirectory(atPath: nova, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: layout.nodeDirectory(1) + "/root/var/log", withIntermediateDirectories: true)
        let lines = (1...2_000).map { "2026-12-03 17:00:00.\($0) 1234 \($0 % 500 == 0 ? "ERROR" : "INFO") nova.compute line \($0)" }
        try lines.joined(separator: "\n").appending("\n").write(toFile: nova + "/nova-compute.log", atomically: true, encoding: .utf8)
        try "not a log".write(toFile: nova + "/notes.txt", atomically: true, encoding: .utf8)
        // A node's root is the node's: a link in it to a file of the host is not followed.
        try "2026-12-03 17:00:00.0 1 ERROR the host's secret".write(toFile: folder + "/host.log", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: nova + "/nova-api.log", withDestinationPath: folder + "/host.log")

        var logs = NodeLogs(layout: layout)
        logs.tailBytes = 10_000
        let kept = logs.keep(in: folder + "/out", errorLines: 3)

        #expect(kept.map(\.node) == ["n1", "n2"])
        #expect(kept[0].errors.isEmpty)
        let copy = try String(contentsOfFile: folder + "/out/n2/var_log_nova_nova-compute.log", encoding: .utf8)
        #expect(copy.utf8.count <= 10_000)
        #expect(copy.hasPrefix("2026-12-03 "), "the kept end starts at a line's start")
        #expect(copy.hasSuffix("line 2000\n"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/out/n2/var_log_nova_notes.txt"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/out/n2/var_log_nova_nova-api.log"))
        #expect(!kept[1].errors.contains { $0.contains("secret") })
        let mode = try FileManager.default.attributesOfItem(atPath: folder + "/out/n2/var_log_nova_nova-compute.log")[.posixPermissions] as? Int
        #expect(mode == 0o600, "logs can hold what services were told: root's alone")
        // Only errors inside the kept end count: line 2000 (and 1500 if it is within the last 10,000 bytes).
        let inside = lines.suffix(while: { copy.contains($0) })
        #expect(kept[1].errors == inside.filter { $0.contains("ERROR") }.suffix(3).map { "nova-compute.log: \($0)" })
        #expect(kept[1].errors.last == "nova-compute.log: \(lines[1_999])")
    }
}

extension Array {
    /// The longest suffix whose elements all satisfy `keep`.
    fileprivate func suffix(while keep: (Element) -> Bool) -> ArraySlice<Element> {
        let start = lastIndex { !keep($0) }.map { $0 + 1 } ?? startIndex
        return self[start...]
    }
}

import Foundation

/// The services' own log files inside the lab nodes' roots, kept for a failed deploy-day: the nodes and their roots go
/// with `lab down`, and what a compute node's nova or neutron said is most of what explains a failed verification.
public struct NodeLogs: Sendable {
    public let layout: LabLayout
    /// Folders inside a node's root whose `*.log` files are kept.
    public var folders = ["var/log/nova", "var/log/neutron", "var/log/openvswitch", "var/log/cinder", "var/log/glance", "var/log/ceph", "var/log/rabbitmq"]
    /// How much of each file's end is kept.
    public var tailBytes = 256 * 1024

    public init(layout: LabLayout) { self.layout = layout }

    /// Copies the end of every log file of every node into `folder/<node>/<path with / as _>`; returns, per node, the
    /// last `errorLines` lines that say ERROR, CRITICAL or Traceback (with their file), for a report. A file that cannot
    /// be read is skipped.
    public func keep(in folder: String, errorLines: Int = 20) -> [(node: String, errors: [String])] {
        layout.numbers(of: "nodes", prefix: "n").map { number in
            let node = layout.nodeName(number), root = layout.nodeDirectory(number) + "/root"
            let target = "\(folder)/\(node)"
            try? FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            var errors: [String] = []
            for logFolder in folders {
                let files = ((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(logFolder)")) ?? []).filter { $0.hasSuffix(".log") }.sorted()
                for file in files {
                    guard let text = tail(of: "\(root)/\(logFolder)/\(file)") else { continue }
                    let name = "\(logFolder)/\(file)".replacingOccurrences(of: "/", with: "_")
                    try? text.write(toFile: "\(target)/\(name)", atomically: true, encoding: .utf8)
                    errors += text.split(separator: "\n")
                        .filter { $0.contains(" ERROR ") || $0.contains(" CRITICAL ") || $0.contains("Traceback") }
                        .suffix(errorLines).map { "\(file): \($0)" }
                }
            }
            return (node, Array(errors.suffix(errorLines)))
        }
    }

    /// The last `tailBytes` of a file as text, from a line's start.
    private func tail(of path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return nil }
        let start = size > UInt64(tailBytes) ? size - UInt64(tailBytes) : 0
        guard (try? handle.seek(toOffset: start)) != nil, let data = try? handle.readToEnd() else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard start > 0, let newline = text.firstIndex(of: "\n") else { return text }
        return String(text[text.index(after: newline)...])
    }
}

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

    /// Copies the end of every log file of every node into `folder/<node>/<path with / as _>` (root's alone: logs can
    /// hold what services were told); returns, per node, the last lines that say ERROR, CRITICAL, Traceback, `|ERR|`
    /// or `[error]`, at most `errorsPerFile` of each file and `errorLines` in all, for a report. Nothing outside a
    /// node's root is read (a link there is not followed out of it); a file that cannot be read is skipped.
    public func keep(in folder: String, errorsPerFile: Int = 5, errorLines: Int = 30) -> [(node: String, errors: [String])] {
        layout.numbers(of: "nodes", prefix: "n").map { number in
            let node = layout.nodeName(number), target = "\(folder)/\(node)"
            guard let root = realPath(layout.nodeDirectory(number) + "/root"),
                (try? FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])) != nil
            else { return (node, []) }
            var errors: [String] = []
            for logFolder in folders {
                let files = ((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(logFolder)")) ?? []).filter { $0.hasSuffix(".log") }.sorted()
                for file in files {
                    guard let path = realPath("\(root)/\(logFolder)/\(file)"), path.hasPrefix(root + "/"), let text = tail(of: path) else { continue }
                    let name = "\(logFolder)/\(file)".replacingOccurrences(of: "/", with: "_")
                    _ = FileManager.default.createFile(atPath: "\(target)/\(name)", contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
                    errors += text.split(separator: "\n").filter { line in Self.errorMarks.contains { line.contains($0) } }
                        .suffix(errorsPerFile).map { "\(file): \($0)" }
                }
            }
            return (node, Array(errors.suffix(errorLines)))
        }
    }

    /// How the services' logs mark an error: oslo (OpenStack), Open vSwitch, RabbitMQ, Python.
    private static let errorMarks = [" ERROR ", " CRITICAL ", "Traceback", "|ERR|", "[error]"]

    /// The path with every link resolved, or nil when it does not exist.
    private func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
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

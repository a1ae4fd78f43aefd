import Foundation
import Logging

/// crowbard's log: one line per event on standard error, however many lines its message has. Under systemd
/// (`JOURNAL_STREAM` set) a text line starts with its syslog priority (`<3>` for an error), which journald keeps as the
/// entry's priority, and has no time (the journal adds it); `--log-format json` writes one JSON object per line
/// instead: time, level, label, message and every metadata field (the API's request id, node, run).
public struct LineLogHandler: LogHandler {
    public enum Format: String, CaseIterable, Sendable {
        case text, json
    }

    let label: String
    let format: Format
    /// Whether standard error is the journal's stream.
    let journal: Bool
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, format: Format, journal: Bool) {
        self.label = label
        self.format = format
        self.journal = journal
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        if let error = event.error { fields["error"] = "\(error)" }
        FileHandle.standardError.write(Data((line(event, fields: fields) + "\n").utf8))
    }

    func line(_ event: LogEvent, fields: Logger.Metadata) -> String {
        let message = event.message.description
        switch format {
        case .json:
            var object: [String: String] = fields.mapValues(\.description)
            object["time"] = Date().formatted(.iso8601)
            object["level"] = event.level.rawValue
            object["label"] = label
            object["message"] = message
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        case .text:
            let lead = journal ? "<\(Self.priority(event.level))>" : "\(Date().formatted(.iso8601)) \(event.level.rawValue) "
            let details = fields.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
            return (lead + "\(label): \(message)\(details)").replacingOccurrences(of: "\n", with: "\\n")
        }
    }

    /// The syslog priority journald reads from a `<N>` prefix.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}

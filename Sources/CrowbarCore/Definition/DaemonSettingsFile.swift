/// crowbard's settings file (`/etc/crowbar/crowbard.yml`): a mapping of crowbard's flag names to their values
/// (`boot-address: 192.168.124.10`). Checked here whole before crowbard reads a value from it, so a typo in a key or
/// a value of the wrong kind stops crowbard with the file, line and key rather than being ignored.
public enum DaemonSettingsFile {
    /// What a key's value must be.
    public enum Kind: Sendable {
        case text, integer, number, flag, texts
    }

    /// Every key the file may hold: crowbard's flags that are settings (not `--config` or `--ready-file`).
    public static let keys: [String: Kind] = [
        "data-dir": .text, "listen": .text, "barclamps": .text, "recipes": .text, "ssh-threads": .integer, "staging-niceness": .integer,
        "boot-address": .text, "boot-interface": .text, "dhcp-relay": .texts, "dhcp-new-clients-per-second": .number,
        "dhcp-new-client-burst": .integer, "boot-http-port": .integer, "boot-files": .text, "repository": .text,
        "install-timeout": .integer, "tls": .flag, "log-level": .text, "log-format": .text,
    ]

    /// Refuses `yaml` (the text of `file`) unless it is a mapping of known keys, each holding a value of its kind. A
    /// file of comments alone is fine.
    public static func check(_ yaml: String, file: String) throws(DefinitionError) {
        let meaningful = yaml.split(whereSeparator: \.isNewline).contains {
            let line = $0.drop { $0 == " " || $0 == "\t" }
            return !line.isEmpty && !line.hasPrefix("#") && line != "---"
        }
        guard meaningful else { return }
        var reader = try YAMLMappingReader(try composeDocument(yaml, file: file), path: "", file: file)
        for (key, kind) in keys.sorted(by: { $0.key < $1.key }) {
            switch kind {
            case .text: _ = try reader.string(key)
            case .integer: _ = try reader.integer(key)
            case .flag: _ = try reader.boolean(key)
            case .texts: _ = try reader.stringList(key)
            case .number:
                if let node = reader.node(key), !(node.isTagged(.int) || node.isTagged(.float)) {
                    throw DefinitionError(location: node.location(in: file), key: key, message: "expected a number")
                }
            }
        }
        try reader.rejectUnknownKeys()
    }
}

import Configuration
import CrowbarCore
import Foundation
import SystemPackage

/// crowbard's settings from outside its command line (swift-configuration): its `CROWBAR_*` environment variables
/// (`CROWBAR_BOOT_ADDRESS` for `--boot-address`), then the settings file (``DaemonSettingsFile``). A flag given on the
/// command line wins over both.
struct SettingsFile {
    /// Where the package puts it; a missing file there is no error (crowbard run from a checkout).
    static let defaultPath = "/etc/crowbar/crowbard.yml"

    let path: String
    private let reader: ConfigReader

    /// Reads the file at `path` (checked whole first) under the environment's `CROWBAR_*` variables.
    static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> SettingsFile {
        let present = FileManager.default.fileExists(atPath: path)
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: ["crowbar"])]
        if present {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw SettingsError("\(path): cannot read it: \(error.localizedDescription)")
            }
            try DaemonSettingsFile.check(text, file: path)
            providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
        } else if path != defaultPath {
            throw SettingsError("\(path): no such settings file")
        }
        return SettingsFile(path: path, reader: ConfigReader(providers: providers))
    }

    /// The value of `key` as text, if the environment or the file has one.
    func text(_ key: String) -> String? { reader.string(forKey: ConfigKey([key])) }

    /// The value of `key` converted by `parse`; an error naming the key when it is there but `parse` refuses it.
    func value<Value>(_ key: String, _ kind: String, _ parse: (String) -> Value?) throws -> Value? {
        guard let text = text(key) else { return nil }
        guard let value = parse(text) else { throw SettingsError("\(key) (CROWBAR_* variable or \(path)) must be \(kind), not '\(text)'") }
        return value
    }

    /// The list value of `key` (comma-separated in the environment).
    func texts(_ key: String) -> [String]? { reader.stringArray(forKey: ConfigKey([key])) }
}

/// A setting crowbard cannot use.
struct SettingsError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

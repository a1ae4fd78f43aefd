import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

/// Where crowbard is, how to authenticate, and how to print.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "crowbard's base URL (env CROWBAR_URL).")
    var url: String = ProcessInfo.processInfo.environment["CROWBAR_URL"] ?? "http://127.0.0.1:3000"

    @Option(help: "API token (env CROWBAR_TOKEN); overrides --token-file.")
    var token: String?

    @Option(help: "File holding the API token.")
    var tokenFile: String = Self.dataDir + "/api-token"

    @Option(help: "For an https URL: crowbard's certificate, the only one trusted (crowbard --tls makes it).")
    var caFile: String = Self.dataDir + "/api-cert.pem"

    /// crowbard's data folder on this machine (env CROWBAR_DATA_DIR).
    static var dataDir: String { ProcessInfo.processInfo.environment["CROWBAR_DATA_DIR"] ?? "/var/lib/crowbar" }

    @Flag(help: "Print the API's JSON instead of tables.")
    var json = false

    func client() throws -> CrowbarClient {
        let token = token ?? ProcessInfo.processInfo.environment["CROWBAR_TOKEN"]
            ?? (try? String(contentsOfFile: tokenFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let user = ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        let actor = "\(user)@\(ProcessInfo.processInfo.hostName)"
        guard url.lowercased().hasPrefix("https://") else { return CrowbarClient(baseURL: url, token: token, actor: actor) }
        do {
            return CrowbarClient(baseURL: url, token: token, actor: actor, http: try CrowbarClient.pinnedHTTPClient(certificateFile: caFile))
        } catch {
            throw ValidationError("cannot read crowbard's certificate \(caFile) (--ca-file): \(error)")
        }
    }
}

/// A subcommand that calls the API; failures print the API's explanation and exit with its code, malformed input
/// files their file, line and key (exit 7).
protocol ClientCommand: AsyncParsableCommand {
    var connection: ConnectionOptions { get }
    func run(client: CrowbarClient) async throws
}

extension ClientCommand {
    func run() async throws {
        do {
            try await run(client: connection.client())
        } catch let error as ClientError {
            let issues = error.body.issues ?? []
            if issues.count > 1 {
                let lines = issues.map { "  \($0["field"] ?? ""): \($0["message"] ?? "")" }.joined(separator: "\n")
                FileHandle.standardError.write(Data("error: \(issues.count) problems:\n\(lines)\n".utf8))
            } else {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            }
            throw ExitCode(error.exitCode)
        } catch let error as DefinitionError {
            // A malformed file the command read (a batch file, a recipe): file:line: key: message.
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(ClientError.invalidInputExitCode)
        }
    }

    /// Prints `value` as the API's JSON when `--json` was given, else its human rendering.
    func show<T: Encodable>(_ value: T, human: (T) -> String) throws {
        // Human text is made terminal-safe: node names, host names and inventory fields come from the admin network.
        print(connection.json ? String(decoding: try JSONEncoder.crowbar.encode(value), as: UTF8.self) : human(value).terminalSafe)
    }
}

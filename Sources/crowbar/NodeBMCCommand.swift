import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

/// `crowbar node bmc show|set|remove`: the BMC settings crowbard keeps for a node.
struct NodeBMCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bmc", abstract: "Show, set or remove a node's BMC settings.", subcommands: [Show.self, Set.self, Remove.self])

    struct Show: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show a node's BMC (the password masked unless --secrets).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node name.") var name: String
        @Flag(help: "Show the password.") var secrets = false

        func run(client: CrowbarClient) async throws {
            try show(try await client.bmc(of: name, secrets: secrets)) { NodeBMCCommand.describe($0) }
        }
    }

    struct Set: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a node's BMC: where it answers, its driver and the credentials crowbard uses.",
            discussion: """
                The password is read from --password-file (`-` for standard input) or the environment variable
                CROWBAR_BMC_PASSWORD, never from the command line, where other users' `ps` would show it.
                A Redfish BMC needs --certificate-fingerprint: the SHA-256 of its certificate, taken from a trusted
                channel (`openssl x509 -noout -fingerprint -sha256` on the BMC's console or vendor sheet).
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node name.") var name: String
        @Option(help: "ipmi (IPMI 2.0 lanplus) or redfish.") var driver: BMCDriver = .ipmi
        @Option(help: "The BMC's address or host name (default: the one the discovery agent read in-band).") var address = ""
        @Option(help: "Port, when not 623 (IPMI) or 443 (Redfish).") var port: Int?
        @Option(help: "BMC user.") var username: String
        @Option(help: "File holding the password (`-`: standard input).") var passwordFile: String?
        @Option(help: "Redfish: SHA-256 fingerprint of the BMC's certificate.") var certificateFingerprint: String?
        @Option(help: "Redfish: the system's path, e.g. /redfish/v1/Systems/1.") var systemPath: String?
        @Option(help: "IPMI: the RMCP+ cipher suite (default 3).") var cipherSuite: Int?

        func run(client: CrowbarClient) async throws {
            let bmc = BMC(
                driver: driver, address: address, port: port, username: username, password: try password(),
                certificateFingerprint: certificateFingerprint, systemPath: systemPath, cipherSuite: cipherSuite, source: .operator_)
            try show(try await client.setBMC(bmc, on: name)) { "\(name): BMC set, \($0.summary)" }
        }

        private func password() throws -> String {
            if let passwordFile {
                let data = passwordFile == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: passwordFile)
                guard let data else { throw ValidationError("cannot read the password file \(passwordFile)") }
                return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
            }
            guard let password = ProcessInfo.processInfo.environment["CROWBAR_BMC_PASSWORD"] else {
                throw ValidationError("give the password with --password-file FILE (or -) or in CROWBAR_BMC_PASSWORD")
            }
            return password
        }
    }

    struct Remove: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Forget a node's BMC.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node name.") var name: String

        func run(client: CrowbarClient) async throws {
            try await client.removeBMC(of: name)
            if !connection.json { print("\(name): BMC removed") }
        }
    }

    static func describe(_ bmc: BMC) -> String {
        var rows = [["driver", bmc.driver.rawValue], ["address", bmc.address + (bmc.port.map { ":\($0)" } ?? "")], ["username", bmc.username],
                    ["password", bmc.password]]
        if let fingerprint = bmc.certificateFingerprint { rows.append(["certificate", "sha256 \(fingerprint)"]) }
        if let path = bmc.systemPath { rows.append(["system", path]) }
        if let suite = bmc.cipherSuite { rows.append(["cipher suite", String(suite)]) }
        if let source = bmc.source { rows.append(["source", source.rawValue]) }
        return TextTable(header: ["FIELD", "VALUE"], rows: rows).rendered
    }
}

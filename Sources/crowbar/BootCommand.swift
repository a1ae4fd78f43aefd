import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

/// `crowbar boot`: the DHCP leases and the boot services' counters.
struct BootCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "boot", abstract: "Show DHCP leases and what the boot services (DHCP, TFTP) counted.")
    @OptionGroup var connection: ConnectionOptions

    func run(client: CrowbarClient) async throws {
        try show(try await client.bootStatus()) { status in
            let leases = TextTable(
                header: ["ADDRESS", "MAC", "EXPIRES", "HOSTNAME"],
                rows: status.leases.map { [$0.address.description, $0.mac.description, $0.expiresAt.formatted(.iso8601), $0.hostname ?? ""] }
            ).rendered
            let counters = TextTable(
                header: ["COUNTER", "COUNT"], rows: status.counters.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] }
            ).rendered
            return leases + "\n\n" + counters
        }
    }
}

import ArgumentParser
import CrowbarClient
import CrowbarCore
import Foundation

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "List, show, add, allocate, install and delete nodes; their BMCs and power.",
        subcommands: [
            List.self, Show.self, Add.self, Allocate.self, NodeInstallCommand.self, NodeInstallCommand.Reinstall.self, Transition.self, Delete.self,
            NodePowerCommand.self, NodeBMCCommand.self,
        ])

    struct List: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "List nodes with their state and inventory summary.",
            discussion: "Without --limit, every match (fetched a page of 1,000 at a time); with it, one page by name, and the next page is the same command with --after the last name listed.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only nodes in this state.") var state: NodeState?
        @Option(help: "Only nodes a proposal assigns this role to.") var role: String?
        @Option(help: "Only nodes whose name sorts after this one.") var after: String?
        @Option(help: "At most this many nodes (1–1000).") var limit: Int?

        func run(client: CrowbarClient) async throws {
            let query = NodeQuery(state: state, role: role, after: after, limit: limit)
            let nodes: [Node]
            if limit == nil {
                nodes = try await client.nodes(where: query)
            } else {
                let page = try await client.nodes(query)
                if let next = page.next { FileHandle.standardError.write(Data("more nodes follow: add --after \(next)\n".utf8)) }
                nodes = page.nodes
            }
            try show(nodes) { nodes in
                TextTable(
                    header: ["NAME", "STATE", "ADDRESS", "MACS", "CPUS", "MEMORY"],
                    rows: nodes.map { node in
                        [
                            node.name, node.state.rawValue, node.adminAddress?.description ?? "-", node.macs.map(\.description).joined(separator: ","),
                            node.inventory.cpuCount.map(String.init) ?? "-", node.inventory.memoryMB.map { "\($0) MB" } ?? "-",
                        ]
                    }
                ).rendered
            }
        }
    }

    struct Show: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Show one node with its full inventory.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node name.") var name: String

        func run(client: CrowbarClient) async throws {
            try show(try await client.node(named: name)) { Self.describe($0) }
        }

        static func describe(_ node: Node) -> String {
            let inventory = node.inventory
            let bmc = [inventory.bmcAddress, inventory.bmcMAC, inventory.bmcVendor].compactMap { $0 }.joined(separator: " ")
            var rows = [
                ["name", node.name], ["state", node.state.rawValue], ["address", node.adminAddress?.description ?? "-"],
                ["macs", node.macs.map(\.description).joined(separator: ", ")], ["cpu", "\(inventory.cpuCount ?? 0) × \(inventory.cpuModel ?? "?")"],
                ["memory", inventory.memoryMB.map { "\($0) MB" } ?? "-"],
                ["system", [inventory.vendor, inventory.product, inventory.serial].compactMap { $0 }.joined(separator: " ")],
                ["bmc", bmc.isEmpty ? "-" : bmc],
            ]
            rows += inventory.disks.map { ["disk \($0.name)", "\($0.sizeBytes / 1_000_000_000) GB"] }
            return TextTable(header: ["FIELD", "VALUE"], rows: rows).rendered
        }
    }

    struct Add: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a node by hand (discovery registers PXE-booted machines by itself).",
            discussion: """
                The node is `discovered`, named d + its first MAC with dashes unless --name is given. A server that already \
                runs an OS can be given its address and its SSH host key's fingerprint (read from the server's console or \
                its out-of-band channel, `ssh-keygen -l -E sha256 -f /etc/ssh/ssh_host_ed25519_key.pub`, never from the \
                network): crowbard then connects to it there, with that key pinned, until it allocates the node an admin \
                address. Adding a known MAC again updates that node: address and key when given, its inventory emptied.
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "MAC addresses, the boot MAC first.") var macs: [String]
        @Option(help: "Node name.") var name: String?
        @Option(help: "The node's IPv4 address, where crowbard reaches its sshd.") var address: String?
        @Option(help: "Its SSH host key's SHA-256 fingerprint (SHA256:…), pinned.") var hostKeyFingerprint: String?
        @Option(help: "That host key's type: \(Add.hostKeyTypes.joined(separator: ", ")).") var hostKeyType: String?

        /// The key types an SSH server offers crowbard (libssh2's names); crowbard asks for ed25519 first.
        static let hostKeyTypes = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"]

        func validate() throws {
            if macs.isEmpty { throw ValidationError("give at least one MAC address") }
            for mac in macs where MACAddress(mac) == nil { throw ValidationError("'\(mac)' is not a MAC address") }
            if let address, IPv4Address(address) == nil { throw ValidationError("'\(address)' is not an IPv4 address") }
            if let fingerprint = hostKeyFingerprint,
               !fingerprint.hasPrefix("SHA256:") || Data(base64Encoded: String(fingerprint.dropFirst(7)) + "=")?.count != 32 {
                throw ValidationError("'\(fingerprint)' is not a SHA-256 fingerprint as ssh-keygen -l prints it (SHA256: and 43 base64 characters)")
            }
            if let hostKeyType {
                guard hostKeyFingerprint != nil else { throw ValidationError("--host-key-type goes with --host-key-fingerprint") }
                guard Self.hostKeyTypes.contains(hostKeyType) else {
                    throw ValidationError("'\(hostKeyType)' is not a host key type crowbard knows: \(Self.hostKeyTypes.joined(separator: ", "))")
                }
            }
        }

        func run(client: CrowbarClient) async throws {
            let pin = hostKeyFingerprint.map { HostKeyPin(type: hostKeyType ?? "ssh-ed25519", fingerprint: $0) }
            let report = DiscoveryReport(macs: macs, name: name, inventory: Inventory(), address: address, sshHostKey: pin)
            try show(try await client.register(report)) {
                "added \($0.name) (\($0.state.rawValue))"
            }
        }
    }

    struct Allocate: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Allocate a discovered node and give it an admin address; with --os, install that OS onto its disk.",
            discussion: """
                With --os the node goes on to installing: crowbard powers it into the installer through its BMC (without a
                BMC, the discovery agent reboots into it), the installer writes the image (checksum verified) and reports
                the host key it generated, which crowbard pins; the node then boots its disk and, once SSH answers, goes
                through readying to ready. The disk must be large enough for the image (checked now, from the inventory).
                Follow it with `crowbar node install NODE`.
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node name.") var name: String
        @Option(help: "OS image to install (built by iso/build-os-image.sh), e.g. debian-12.") var os: String?
        @Option(help: "Disk to install onto (e.g. vda); default: the first disk large enough.") var disk: String?

        func run(client: CrowbarClient) async throws {
            try show(try await client.allocate(node: name, os: os, disk: disk)) {
                "allocated \($0.name) at \($0.adminAddress?.description ?? "-")" + ($0.state == .installing ? ", installing \(os ?? "")" : "")
            }
        }
    }

    struct Transition: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a node to another state (entering readying applies the barclamps that list it).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node name.") var name: String
        @Argument(help: "Target state, e.g. readying.") var state: NodeState
        @Option(help: "Why, for the event history.") var reason: String?

        func run(client: CrowbarClient) async throws {
            try show(try await client.transition(node: name, to: state, reason: reason)) {
                "\($0.name) is \($0.state.rawValue)"
            }
        }
    }

    struct Delete: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a node and release its addresses.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node name.") var name: String

        func run(client: CrowbarClient) async throws {
            try await client.deleteNode(named: name)
            if !connection.json { print("deleted \(name)") }
        }
    }
}

extension NodeState: ExpressibleByArgument {}

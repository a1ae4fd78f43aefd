import ArgumentParser
import CrowbarClient
import CrowbarCore
import CrowbarLab
import Foundation

/// `crowbar lab up|status|down`: the virtual lab of systemd-nspawn nodes on a private admin network.
struct LabCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab", abstract: "Build, inspect and tear down the virtual lab (needs root).",
        subcommands: [Up.self, Status.self, Down.self])

    struct LabOptions: ParsableArguments {
        @Option(help: "Folder for the cached base root and the nodes (env CROWBAR_LAB_DIR).")
        var stateDir: String = ProcessInfo.processInfo.environment["CROWBAR_LAB_DIR"] ?? "/var/lib/crowbar-lab"

        var lab: Lab { Lab(layout: LabLayout(stateDirectory: stateDir)) }
    }

    struct Up: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start N Debian 12 nodes with sshd on the admin network and register them with crowbard.",
            discussion: """
                Builds the base root with debootstrap on first use (cached in the state folder), gives each node
                a copy with its own host keys and crowbard's public key for root, and registers each node through
                POST /api/v1/nodes/discover with its MAC, boot address and pinned host key. Running nodes are kept.
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: LabOptions
        @Option(help: "How many nodes.") var nodes = 3
        @Option(help: "Public key to authorise for root on the nodes (default: crowbard's, in its data folder).")
        var authorizedKey: String?

        func validate() throws {
            guard (1...200).contains(nodes) else { throw ValidationError("--nodes must be between 1 and 200") }
        }

        func run(client: CrowbarClient) async throws {
            let keyFile = authorizedKey
                ?? (ProcessInfo.processInfo.environment["CROWBAR_DATA_DIR"] ?? "/var/lib/crowbar") + "/ssh/id_ed25519.pub"
            guard let key = try? String(contentsOfFile: keyFile, encoding: .utf8) else {
                throw ValidationError("cannot read \(keyFile); start crowbard once (it creates its key) or pass --authorized-key")
            }
            let started = ContinuousClock.now
            let labNodes = try await options.lab.up(nodes: nodes, authorizedKey: key.trimmingCharacters(in: .whitespacesAndNewlines)) {
                FileHandle.standardError.write(Data("lab: \($0)\n".utf8))
            }
            for node in labNodes {
                let report = DiscoveryReport(
                    macs: [node.mac], name: node.name,
                    inventory: Inventory(cpuCount: ProcessInfo.processInfo.activeProcessorCount,
                                         memoryMB: Int(ProcessInfo.processInfo.physicalMemory / 1_048_576),
                                         vendor: "systemd-nspawn", product: "crowbar lab node"),
                    address: node.address, sshHostKey: HostKeyPin(type: node.hostKeyType, fingerprint: node.hostKeyFingerprint))
                _ = try await client.request(.POST, "nodes/discover", body: report)
            }
            let seconds = (ContinuousClock.now - started).components.seconds
            try show(try JSONEncoder.crowbar.encode(labNodes), as: [LabNode].self) { nodes in
                LabCommand.table(nodes) + "\n\(nodes.count) nodes up and registered in \(seconds) s"
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the lab's nodes.")
        @OptionGroup var options: LabOptions

        func run() async throws {
            print(LabCommand.table(await options.lab.status()))
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the nodes and remove the lab network (the base root stays cached).")
        @OptionGroup var options: LabOptions

        func run() async throws {
            await options.lab.down { FileHandle.standardError.write(Data("lab: \($0)\n".utf8)) }
        }
    }

    static func table(_ nodes: [LabNode]) -> String {
        TextTable(
            header: ["NODE", "ADDRESS", "MAC", "PID", "RUNNING", "SSH", "HOST KEY"],
            rows: nodes.map {
                [$0.name, $0.address, $0.mac, $0.pid.map(String.init) ?? "", $0.running ? "yes" : "no", $0.sshAnswering ? "yes" : "no", $0.hostKeyFingerprint]
            }
        ).rendered
    }
}

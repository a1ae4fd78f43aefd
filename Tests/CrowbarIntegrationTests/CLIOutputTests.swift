import CrowbarClient
import CrowbarCore
import Foundation
import Testing

/// The CLI's whole output, help text included, compared line for line (as swift-argument-parser tests its examples):
/// a change of wording, layout or exit code fails here first.
@Suite(.serialized) final class CLIOutputTests {
    let binaries: Binaries
    let dataDir: URL

    init() throws {
        binaries = try Binaries()
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-cli-\(UUID().uuidString)")
    }

    deinit { try? FileManager.default.removeItem(at: dataDir) }

    /// Runs crowbar against `daemon` and checks exit status, standard output and standard error whole.
    func expect(
        _ arguments: [String], daemon: Daemon, status: Int32 = 0, output: String = "", errors: String = "",
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws {
        let result = try binaries.crowbar(arguments, daemon: daemon)
        #expect(result.status == status, "exit status of crowbar \(arguments.joined(separator: " "))", sourceLocation: sourceLocation)
        #expect(result.output == output, sourceLocation: sourceLocation)
        #expect(result.errors == errors, sourceLocation: sourceLocation)
    }

    @Test func helpTextIsWhatTheDocsShow() throws {
        var environment = ProcessInfo.processInfo.environment
        for name in ["CROWBAR_URL", "CROWBAR_DATA_DIR", "CROWBAR_TOKEN"] { environment[name] = nil }
        let help = try CommandResult.run(binaries.crowbar.path, ["proposal", "assign", "--help"], environment: environment, limit: 10)
        #expect(help.status == 0)
        #expect(help.output == """
            OVERVIEW: Assign exactly these nodes to a role (no nodes clears it).

            USAGE: crowbar proposal assign [--url <url>] [--token <token>] [--token-file <token-file>] [--ca-file <ca-file>] [--json] <barclamp> <name> <role> [<nodes> ...] [--if-match <version>]

            ARGUMENTS:
              <barclamp>              Barclamp name.
              <name>                  Proposal name.
              <role>                  Role name.
              <nodes>                 Node names.

            OPTIONS:
              --url <url>             crowbard's base URL (env CROWBAR_URL). (default:
                                      http://127.0.0.1:3000)
              --token <token>         API token (env CROWBAR_TOKEN); overrides --token-file.
              --token-file <token-file>
                                      File holding the API token. (default:
                                      /var/lib/crowbar/api-token)
              --ca-file <ca-file>     For an https URL: crowbard's certificate, the only
                                      one trusted (crowbard --tls makes it). (default:
                                      /var/lib/crowbar/api-cert.pem)
              --json                  Print the API's JSON instead of tables.
              --if-match <version>    Only if the proposal is still at this version
                                      (proposal show prints it); else nothing changes (exit
                                      6).
              --version               Show the version.
              -h, --help              Show help information.


            """)
        let node = try CommandResult.run(binaries.crowbar.path, ["node", "--help"], environment: environment, limit: 10)
        #expect(node.output == """
            OVERVIEW: List, show, add, allocate, install and delete nodes; their BMCs and
            power.

            USAGE: crowbar node <subcommand>

            OPTIONS:
              --version               Show the version.
              -h, --help              Show help information.

            SUBCOMMANDS:
              list                    List nodes with their state and inventory summary.
              show                    Show one node with its full inventory.
              add                     Register a node by hand (discovery registers
                                      PXE-booted machines by itself).
              allocate                Allocate a discovered node and give it an admin
                                      address; with --os, install that OS onto its disk.
              install                 Show a node's latest OS install and its log
                                      (--follow: until it ends).
              reinstall               Install a node's OS again (the image and disk of its
                                      last install); its host key pin is dropped.
              transition              Move a node to another state (entering readying
                                      applies the barclamps that list it).
              delete                  Delete a node and release its addresses.
              power                   Query or change nodes' power through their BMCs.
              bmc                     Show, set or remove a node's BMC settings.

              See 'crowbar help node <subcommand>' for detailed help.

            """)
    }

    @Test func theReadmeWalkThroughPrintsExactlyThis() async throws {
        let daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        defer { daemon.stop() }
        let token = try String(contentsOf: dataDir.appendingPathComponent("api-token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let client = CrowbarClient(baseURL: daemon.url, token: token)
        _ = try await client.register(DiscoveryReport(macs: ["52:54:00:aa:00:09"], inventory: Inventory(cpuCount: 2, memoryMB: 2048)))
        // The client's methods that no command calls yet, against the real daemon.
        #expect(try await CrowbarClient(baseURL: daemon.url, token: nil).health().status == "ok")
        #expect(try await client.networks().first { $0.network.name == "admin" }?.allocations.isEmpty == true)
        let node = "d52-54-00-aa-00-09"

        try expect(["node", "list"], daemon: daemon, output: """
            NAME                STATE       ADDRESS  MACS               CPUS  MEMORY
            d52-54-00-aa-00-09  discovered  -        52:54:00:aa:00:09  2     2048 MB

            """)
        try expect(["proposal", "create", "provisioner", "default"], daemon: daemon, output: "created proposal provisioner/default (draft)\n")
        try expect(
            ["proposal", "assign", "provisioner", "default", "provisioner-server", "ghost"], daemon: daemon, status: 7,
            errors: "error: deployment.provisioner-server: no node named 'ghost' (crowbar node list shows the known ones)\n")
        try expect(
            ["proposal", "assign", "provisioner", "default", "provisioner-server", node], daemon: daemon,
            output: "provisioner/default provisioner-server: \(node)\n")
        try expect(["proposal", "plan", "provisioner", "default"], daemon: daemon, output: """
            STEP  BARCLAMP     PROPOSAL  ROLE                NODES
            1     provisioner  default   provisioner-server  \(node)

            """)
        try expect(
            ["proposal", "commit", "--no-apply", "provisioner", "default"], daemon: daemon,
            output: "committed provisioner/default as revision 1\n")
        try expect(["proposal", "diff", "provisioner", "default"], daemon: daemon, output: "no changes\n")
        try expect(
            ["proposal", "set", "provisioner", "default", "dhcp_lease_time=120"], daemon: daemon,
            output: "updated provisioner/default: dhcp_lease_time\n")
        try expect(["proposal", "diff", "provisioner", "default"], daemon: daemon, output: "~ attributes.dhcp_lease_time: 60 → 120\n")
        // A change made from an old read (version 3: before the set) is refused and changes nothing.
        try expect(["proposal", "set", "provisioner", "default", "dhcp_lease_time=90", "--if-match", "3"], daemon: daemon, status: 6, errors: """
            error: proposal provisioner/default changed since it was read (version 3, now 4): read it again and redo the change

            """)
        // A batch file's preview: what applying it would change, against the working copy; nothing is written.
        let longer = dataDir.appendingPathComponent("longer.yml")
        try "proposals:\n  - barclamp: provisioner\n    name: default\n    attributes: {dhcp_lease_time: 300}\n"
            .write(to: longer, atomically: true, encoding: .utf8)
        try expect(["batch", "preview", longer.path], daemon: daemon, output: """
            1. change provisioner/default
                 ~ attributes.dhcp_lease_time: 120 → 300

            """)
        try expect(["proposal", "diff", "provisioner", "default"], daemon: daemon, output: "~ attributes.dhcp_lease_time: 60 → 120\n")
        // Names are percent-encoded segment by segment: a slash stays inside its name instead of making another path.
        try expect(["proposal", "show", "provisioner", "a/b"], daemon: daemon, status: 5, errors: "error: no proposal provisioner/a/b\n")
        // A batch file naming an unknown node alias is refused by crowbard with its file and line; nothing is created.
        let batch = dataDir.appendingPathComponent("cloud.yml")
        try "nodes:\n  - alias: ghost\n    name: nobody\nproposals:\n  - barclamp: ntp\n    deployment:\n      elements:\n        ntp-server: [\"@@ghost@@\"]\n"
            .write(to: batch, atomically: true, encoding: .utf8)
        try expect(["batch", "apply", batch.path], daemon: daemon, status: 7, errors: """
            error: \(batch.path):2:5: nodes: no node matches alias 'ghost'

            """)
        try expect(["proposal", "list", "ntp"], daemon: daemon, output: "BARCLAMP  NAME  STATUS  REVISION  PENDING\n")
        // Inventory text from the admin network is shown, not obeyed: no escape sequence reaches the terminal.
        _ = try await client.register(DiscoveryReport(
            macs: ["52:54:00:aa:00:0a"], inventory: Inventory(disks: [], vendor: "Evil\u{1b}]0;owned\u{07}\u{1b}[2J")))
        let shown = try binaries.crowbar(["node", "show", "d52-54-00-aa-00-0a"], daemon: daemon)
        #expect(shown.output.contains("Evil^[]0;owned^G^[[2J"), "\(shown.output)")
        #expect(!shown.output.contains("\u{1b}"))
        try expect(["node", "transition", node, "installing"], daemon: daemon, status: 6, errors: """
            error: node \(node) cannot go from discovered to installing (allowed: allocated, deleted, discovering, problem) (field: state)

            """)
    }
}

/// The README's first "Using it" block, run as written (its crowbard start and exports aside: the test starts its own
/// crowbard): a command that stops working, or a block emptied of commands, fails here.
@Suite struct ReadmeTests {
    /// The `crowbar` command lines of the first paragraph of the first shell block under "## Using it".
    static func firstBlockCommands() throws -> [[String]] {
        let readme = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let section = readme.range(of: "## Using it"), let open = readme.range(of: "```sh\n", range: section.upperBound..<readme.endIndex)
        else { throw TestFailure("README.md has no ```sh block under '## Using it'") }
        let lines = readme[open.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty && $0 != "```" }
        return lines.compactMap { line in
            let command = line.split(separator: "#", maxSplits: 1).first.map(String.init) ?? ""
            let words = command.split(separator: " ").map(String.init)
            guard words.first == ".build/debug/crowbar" else { return nil }
            return Array(words.dropFirst())
        }
    }

    @Test func theFirstUsingItBlockRunsAsWritten() async throws {
        let commands = try Self.firstBlockCommands()
        #expect(commands.count >= 6, "the block lost its commands: \(commands)")
        let binaries = try Binaries()
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-readme-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        defer { daemon.stop() }
        for arguments in commands {
            let result = try binaries.crowbar(arguments, daemon: daemon)
            #expect(result.status == 0, "crowbar \(arguments.joined(separator: " ")): \(result.errors)")
        }
    }
}

import ArgumentParser
import CrowbarClient
import CrowbarCore
import CrowbarLab
import Foundation

/// `crowbar lab up|status|down`: the virtual lab of systemd-nspawn nodes and PXE-booting QEMU machines on a private
/// admin network.
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
            abstract: "Start Debian 12 nodes with sshd and PXE-booting machines on the admin network.",
            discussion: """
                Nodes (--nodes): builds the base root with debootstrap on first use (cached in the state folder),
                gives each node a copy with its own host keys and crowbard's public key for root, and registers each
                through POST /api/v1/nodes/discover with its MAC, boot address and pinned host key.

                Machines (--vms): QEMU machines with an empty disk that boot from the network, each owned by a BMC
                (ipmi_sim: IPMI over LAN on the bmc network from 192.168.124.162, and in-band KCS). Each is
                registered with crowbard by its boot MAC with its BMC, then crowbard powers it on through the BMC
                (with --powered-off it stays off: `crowbar node power NODE on`). crowbard must serve boot on the
                admin network (crowbard --boot-address 192.168.124.10 --boot-interface crowbar0) with the discovery
                image in its boot files (iso/build-discovery.sh <boot-files>); the command waits until every
                powered-on machine's discovery agent has reported it.

                Running nodes and machines are kept.
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: LabOptions
        @Option(help: "How many systemd-nspawn nodes (SSH targets).") var nodes = 3
        @Option(help: "How many QEMU machines that PXE-boot the discovery image.") var vms = 0
        @Option(help: "Seconds to wait for the machines to be discovered.") var discoveryTimeout = 300
        @Flag(help: "Leave the machines powered off (their BMCs answer; crowbard powers nothing on).") var poweredOff = false
        @Option(help: "Public key to authorise for root on the nodes (default: crowbard's, in its data folder).")
        var authorizedKey: String?

        func validate() throws {
            guard (0...190).contains(nodes) else { throw ValidationError("--nodes must be between 0 and 190 (192.168.124.61–.250)") }
            guard (0...40).contains(vms) else { throw ValidationError("--vms must be between 0 and 40") }
            guard nodes + vms > 0 else { throw ValidationError("nothing to start: --nodes and --vms are both 0") }
        }

        func run(client: CrowbarClient) async throws {
            let started = ContinuousClock.now
            let labNodes = try await LabCommand.startNodes(nodes, lab: options.lab, authorizedKey: authorizedKey, client: client)
            let machines = try await LabCommand.startMachines(vms, lab: options.lab, client: client, powerOn: !poweredOff)
            let discovered = poweredOff
                ? machines.map { DiscoveredMachine(machine: $0, node: Node.defaultName(bootMAC: MACAddress($0.mac)!)) }
                : try await LabCommand.waitUntilDiscovered(machines, client: client, started: started, timeoutSeconds: discoveryTimeout)
            let seconds = (ContinuousClock.now - started).components.seconds
            let status = LabStatus(nodes: labNodes, machines: discovered)
            try show(status) { status in
                [status.nodes.isEmpty ? nil : LabCommand.table(status.nodes), status.machines.isEmpty ? nil : LabCommand.table(status.machines),
                 "\(status.nodes.count) nodes up and registered, \(status.machines.count) machines "
                    + (poweredOff ? "registered with their BMCs, powered off" : "discovered in \(seconds) s")]
                    .compactMap { $0 }.joined(separator: "\n")
            }
        }
    }

    /// Starts machines vm1…vm`count` with their BMCs (powered off), registers each with crowbard by its boot MAC (unless
    /// known) with its BMC, and, with `powerOn`, has crowbard power them on through their BMCs, PXE first.
    static func startMachines(_ count: Int, lab: Lab, client: CrowbarClient, powerOn: Bool) async throws -> [LabMachine] {
        guard count > 0 else { return [] }
        let machines = try await lab.up(machines: count, progress: LabCommand.progress)
        var names: [String] = []
        for machine in machines {
            let name = Node.defaultName(bootMAC: MACAddress(machine.mac)!)
            if (try? await client.node(named: name)) == nil {
                _ = try await client.register(DiscoveryReport(macs: [machine.mac], inventory: Inventory()))
            }
            _ = try await client.setBMC(
                BMC(driver: .ipmi, address: machine.bmcAddress, username: machine.bmcUsername, password: try lab.bmcPassword(of: machine),
                    source: .operator_),
                on: name)
            names.append(name)
        }
        guard powerOn else { return machines }
        // A freshly started ipmi_sim sometimes misses the first requests after its LAN settings changed: a BMC that
        // did not answer is asked again (at most 3 times, 2 s apart); any other failure stops here.
        var pending = names
        for attempt in 1...3 where !pending.isEmpty {
            if attempt > 1 { try await Task.sleep(for: .seconds(2)) }
            var unanswered: [String] = []
            for result in try await client.power(PowerSweepRequest(action: .on, nodes: pending, bootDevice: .pxe)) {
                if let failure = result.failure {
                    guard failure.kind == .unreachable, attempt < 3 else {
                        throw ValidationError("crowbard could not power on \(result.node): \(failure.message)")
                    }
                    LabCommand.progress("\(result.node): \(failure.message); asking again")
                    unanswered.append(result.node)
                } else {
                    LabCommand.progress("\(result.node) powered on by crowbard through its BMC (\(result.milliseconds) ms)")
                }
            }
            pending = unanswered
        }
        return machines.map { var machine = $0; machine.running = true; return machine }
    }

    /// Polls crowbard until each machine's boot MAC belongs to a discovered node that its agent has reported (it has a
    /// boot address); on timeout, shows the consoles.
    static func waitUntilDiscovered(
        _ machines: [LabMachine], client: CrowbarClient, started: ContinuousClock.Instant, timeoutSeconds: Int
    ) async throws -> [DiscoveredMachine] {
        var found: [String: DiscoveredMachine] = [:]
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        while found.count < machines.count {
            let known = try await client.nodes()
            for machine in machines where found[machine.mac] == nil {
                guard let node = known.first(where: {
                    $0.macs.map(\.description).contains(machine.mac) && $0.state == .discovered && $0.bootAddress != nil
                }) else { continue }
                let seconds = Double((ContinuousClock.now - started).components.seconds)
                LabCommand.progress("\(machine.name) discovered as \(node.name) after \(Int(seconds)) s")
                found[machine.mac] = DiscoveredMachine(machine: machine, node: node.name, address: node.bootAddress?.description, secondsToDiscovered: seconds)
            }
            if found.count == machines.count { break }
            guard ContinuousClock.now < deadline else {
                let missing = machines.filter { found[$0.mac] == nil }
                let consoles = missing.map { machine in
                    let text = (try? String(contentsOfFile: machine.console, encoding: .utf8)) ?? "(no console output)"
                    return "--- \(machine.name) console (last lines of \(machine.console)):\n" + text.split(separator: "\n").suffix(15).joined(separator: "\n")
                }
                throw ValidationError("not discovered within \(timeoutSeconds) s: \(missing.map(\.name).joined(separator: ", "))\n" + consoles.joined(separator: "\n"))
            }
            try await Task.sleep(for: .seconds(2))
        }
        return machines.compactMap { found[$0.mac] }
    }

    /// What `lab up` and `lab status` show: the nodes and the machines.
    struct LabStatus: Codable {
        var nodes: [LabNode]
        var machines: [DiscoveredMachine]
    }

    /// A lab machine and the node its discovery agent registered.
    struct DiscoveredMachine: Codable {
        var machine: LabMachine
        var node: String?
        var address: String?
        var secondsToDiscovered: Double?
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the lab's nodes.")
        @OptionGroup var options: LabOptions

        func run() async throws {
            print(LabCommand.table(await options.lab.status()))
            let machines = options.lab.machines()
            if !machines.isEmpty { print(LabCommand.table(machines.map { DiscoveredMachine(machine: $0) })) }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the nodes and remove the lab network (the base root stays cached).")
        @OptionGroup var options: LabOptions

        func run() async throws {
            await options.lab.down(progress: LabCommand.progress)
        }
    }

    /// Starts nodes n1…n`count` (authorising `authorizedKey`, default crowbard's key) and registers each with crowbard
    /// (MAC, boot address, pinned host key) as a discovered node.
    static func startNodes(_ count: Int, lab: Lab, authorizedKey: String?, client: CrowbarClient) async throws -> [LabNode] {
        guard count > 0 else { return [] }
        let keyFile = authorizedKey
            ?? (ProcessInfo.processInfo.environment["CROWBAR_DATA_DIR"] ?? "/var/lib/crowbar") + "/ssh/id_ed25519.pub"
        guard let key = try? String(contentsOfFile: keyFile, encoding: .utf8) else {
            throw ValidationError("cannot read \(keyFile), crowbard's public key: crowbard makes it at its first start in its data folder (CROWBAR_DATA_DIR)")
        }
        let labNodes = try await lab.up(
            nodes: count, authorizedKey: key.trimmingCharacters(in: .whitespacesAndNewlines), progress: LabCommand.progress)
        for node in labNodes {
            let report = DiscoveryReport(
                macs: [node.mac], name: node.name,
                inventory: Inventory(cpuCount: ProcessInfo.processInfo.activeProcessorCount,
                                     memoryMB: Int(ProcessInfo.processInfo.physicalMemory / 1_048_576),
                                     vendor: "systemd-nspawn", product: "crowbar lab node"),
                address: node.address, sshHostKey: HostKeyPin(type: node.hostKeyType, fingerprint: node.hostKeyFingerprint))
            _ = try await client.register(report)
        }
        return labNodes
    }

    /// Where the lab's progress lines go: standard error, `lab: …`.
    static func progress(_ line: String) {
        FileHandle.standardError.write(Data("lab: \(line)\n".utf8))
    }

    static func table(_ nodes: [LabNode]) -> String {
        TextTable(
            header: ["NODE", "ADDRESS", "MAC", "PID", "RUNNING", "SSH", "HOST KEY"],
            rows: nodes.map {
                [$0.name, $0.address, $0.mac, $0.pid.map(String.init) ?? "", $0.running ? "yes" : "no", $0.sshAnswering ? "yes" : "no", $0.hostKeyFingerprint]
            }
        ).rendered
    }

    static func table(_ machines: [DiscoveredMachine]) -> String {
        TextTable(
            header: ["MACHINE", "MAC", "BMC", "PID", "RUNNING", "NODE", "ADDRESS", "DISCOVERED AFTER"],
            rows: machines.map {
                [$0.machine.name, $0.machine.mac, $0.machine.bmcAddress + ($0.machine.bmcRunning ? "" : " (down)"), $0.machine.pid.map(String.init) ?? "",
                 $0.machine.running ? "yes" : "no", $0.node ?? "", $0.address ?? "", $0.secondsToDiscovered.map { "\(Int($0)) s" } ?? ""]
            }
        ).rendered
    }
}

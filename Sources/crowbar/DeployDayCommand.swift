import ArgumentParser
import CrowbarClient
import CrowbarCore
import CrowbarLab
import Foundation

/// `crowbar deploy-day`: bare lab nodes to a verified cloud, with a JUnit report.
struct DeployDayCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy-day", abstract: "Build the lab cloud from bare nodes, re-apply it, verify it and report (needs root).",
        discussion: """
            with --vms: PXE machines boot the discovery image and must be discovered with their inventory, then \
            (with --os) are allocated with that OS, installed onto their disks, reboot from them and must reach \
            ready → lab up (the nodes register) → allocate each node and give it its admin address → batch apply of the \
            cloud file → a forced re-apply that must change nothing → the verification batch (checks with the \
            openstack client) → a JUnit report (one testcase per barclamp apply, the re-apply and each check, \
            timed), a summary and the timings in --out; the installed machines then go through readying (the \
            cloud's base barclamps applied over SSH with their pinned keys) before the verification → lab down \
            unless --keep. Exit code 8 when anything failed; \
            the summary names the failing step, node and output.

            crowbard must serve boot and the package repository on the lab's admin network (crowbard \
            --boot-address 192.168.124.10 --boot-interface crowbar0 --repository DIR); scripts/deploy-day builds \
            the repository and starts crowbard, then runs this.
            """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var labOptions: LabCommand.LabOptions
    @Option(help: "How many lab nodes (the cloud file's node aliases name their MACs).") var nodes = 3
    @Option(help: "QEMU machines that must PXE-boot and be discovered first (needs the discovery image in crowbard's boot files).")
    var vms = 0
    @Option(help: "OS image the --vms machines are installed with after discovery (empty: discovery only, then powered off).")
    var os = "debian-12"
    @Option(help: "Minutes the machines' installs may take, until every one is ready.") var installTimeout = 20
    @Option(help: "Batch file of the cloud.") var cloud = "docs/examples/lab-cloud.yml"
    @Option(help: "Batch file of the verification.") var verification = "docs/examples/lab-verification.yml"
    @Option(help: "Recipes folder (the verifier recipe lists the checks the report expects).") var recipes = "recipes"
    @Option(help: "Folder for junit.xml, summary.txt, timings.txt, the batch reports and the re-apply's log.")
    var out = "deploy-day"
    @Flag(help: "Leave the lab and the cloud running.") var keep = false

    func validate() throws {
        guard (1...190).contains(nodes) else { throw ValidationError("--nodes must be between 1 and 190") }
    }

    func run(client: CrowbarClient) async throws {
        try BatchFollower.check(cloud)
        try BatchFollower.check(verification)
        let checks = try verifierChecks()
        try prepareOutputFolder()
        let lab = labOptions.lab
        var day = DeployDay()

        var installed: [LabCommand.DiscoveredMachine] = []
        if vms > 0 {
            say("== discovery: \(vms) machines PXE-boot the discovery image from crowbard's DHCP, TFTP and HTTP boot")
            await day.phase("discovery") { day in
                installed = try await discover(lab: lab, client: client, into: &day)
            }
        }
        if !installed.isEmpty, day.failures == 0 {
            say("\n== bare metal: \(installed.count) machines installed with \(os) onto their disks, booted from them, ready")
            await day.phase("install") { day in
                try await install(installed, client: client, into: &day)
            }
        }
        await day.phase("lab up + allocate") { _ in
            let labNodes = try await LabCommand.startNodes(nodes, lab: lab, authorizedKey: nil, client: client)
            try await allocate(labNodes, lab: lab, client: client)
        }
        if day.failures == 0 {
            await day.phase("cloud apply") { day in
                try await BatchFollower(client: client).apply(file: cloud, force: false) { applied in
                    try BatchReportLine(applied).append(to: path("apply.jsonl"))
                    day.add(DeployDayReport.applyCase(applied))
                }
            }
        }
        if day.failures == 0 {
            say("\n== re-apply of the whole cloud (must change nothing; log in \(path("reapply.log")))")
            await day.phase("no-op re-apply") { day in
                try await reapply(cloud, client: client, into: &day)
            }
            if !installed.isEmpty {
                say("\n== readying the installed machines: the cloud's base barclamps over SSH, with their pinned keys")
                await day.phase("readying installed") { day in
                    try await ready(installed, client: client, into: &day)
                }
            }
            say("\n== verification: the cloud checked with the openstack client, then by tempest")
            await day.phase("verification") { day in
                try await BatchFollower(client: client).apply(file: verification, force: true) { applied in
                    try BatchReportLine(applied).append(to: path("verify.jsonl"))
                    // The log first: if reading it fails, the phase's error reports that, not a bare failed apply.
                    let log = ["verification", "tempest"].contains(applied.barclamp) ? try await fullLog(of: applied.run.id, client: client) : nil
                    day.add(DeployDayReport.applyCase(applied))
                    if let log, applied.barclamp == "verification" { day.add(DeployDayReport.checkCases(run: applied.run, log: log)) }
                    if let log, applied.barclamp == "tempest" {
                        day.add(DeployDayReport.tempestSetCases(run: applied.run, log: log))
                        day.addTempest(DeployDayReport.tempestCases(log: log))
                    }
                }
            }
        }

        let report = day.report(checks: checks)
        if report.failed {
            // The nodes' roots go with the lab: what their services logged is kept for the failure's diagnosis.
            let logs = NodeLogs(layout: lab.layout).keep(in: path("node-logs"))
            say("\n== the nodes' service logs are kept in \(path("node-logs")); their last errors:")
            for (node, errors) in logs where !errors.isEmpty { say("[\(node)]\n" + errors.joined(separator: "\n")) }
        }
        if keep {
            say("lab kept: 'crowbar lab status' shows the nodes, 'crowbar lab down' removes them")
        } else {
            await lab.down(progress: LabCommand.progress)
        }
        try report.junitXML.write(toFile: path("junit.xml"), atomically: true, encoding: .utf8)
        try (report.summary + "\n").write(toFile: path("summary.txt"), atomically: true, encoding: .utf8)
        try (day.timingsLine + "\n").write(toFile: path("timings.txt"), atomically: true, encoding: .utf8)
        say("\n== deploy-day report (\(path("junit.xml")))\n\(report.summary)\n\n== \(day.timingsLine)")
        guard !report.failed else {
            say("deploy-day: FAILED")
            throw ExitCode(RunReport.failedExitCode)
        }
        say("deploy-day: OK")
    }

    /// Starts the PXE machines (crowbard powers them on through their BMCs), waits until each is discovered and records
    /// a case per machine. With --os it answers them, to be installed; without, it powers them off through their BMCs
    /// (a case each) and stops them (the cloud's nodes need the machine's CPU).
    private func discover(lab: Lab, client: CrowbarClient, into day: inout DeployDay) async throws -> [LabCommand.DiscoveredMachine] {
        let started = ContinuousClock.now
        var stopped: (any Error)?
        var found: [LabCommand.DiscoveredMachine] = []
        do {
            let machines = try await LabCommand.startMachines(vms, lab: lab, client: client, powerOn: true)
            found = try await LabCommand.waitUntilDiscovered(machines, client: client, started: started, timeoutSeconds: 300)
            for machine in found {
                guard let name = machine.node else { continue }
                day.add(DeployDayReport.discoveryCase(
                    machine: machine.machine.name, node: try await client.node(named: name), seconds: machine.secondsToDiscovered ?? 0))
            }
            if !os.isEmpty { return found }
            // Off through their BMCs, as an operator would; `lab down` then removes them.
            let names = found.compactMap(\.node)
            for result in try await client.power(PowerSweepRequest(action: .off, nodes: names)) {
                let machine = found.first { $0.node == result.node }?.machine.name ?? result.node
                day.add(DeployDayReport.powerOffCase(machine: machine, result: result))
            }
        } catch { stopped = error }
        // The machines stop whether or not they were all discovered.
        await lab.down(progress: LabCommand.progress)
        if let stopped { throw stopped }
        return []
    }

    /// Allocates every discovered machine with --os (crowbard powers each into the installer through its BMC) and
    /// waits until each is `ready` or has failed (`problem`), at most --install-timeout; a case per machine.
    private func install(_ machines: [LabCommand.DiscoveredMachine], client: CrowbarClient, into day: inout DeployDay) async throws {
        let started = ContinuousClock.now
        let names = machines.compactMap(\.node)
        for name in names {
            let node = try await client.allocate(node: name, os: os)
            say("\(name): allocated at \(node.adminAddress?.description ?? "-"), \(node.state.rawValue) \(os)")
        }
        let ended = try await waitForStates(names, in: [.ready, .problem], client: client, timeoutSeconds: installTimeout * 60)
        for machine in machines {
            guard let name = machine.node else { continue }
            let node = try await client.node(named: name)
            let install = try? await client.install(of: name)
            let seconds = ended[name].map { ($0 - started).inSeconds } ?? (ContinuousClock.now - started).inSeconds
            day.add(DeployDayReport.installCase(machine: machine.machine.name, node: node, install: install, seconds: seconds))
            say("\(name): \(node.state.rawValue) after \(Int(seconds)) s")
        }
    }

    /// Takes the installed machines through `readying` again now that the cloud's proposals are active: crowbard adds
    /// each to the base barclamps' transition roles and applies them over SSH. A case per machine.
    private func ready(_ machines: [LabCommand.DiscoveredMachine], client: CrowbarClient, into day: inout DeployDay) async throws {
        let started = ContinuousClock.now
        let names = machines.compactMap(\.node)
        for name in names { _ = try await client.transition(node: name, to: .readying, reason: "deploy-day: the cloud's base barclamps") }
        let ended = try await waitForStates(names, in: [.ready, .problem], client: client, timeoutSeconds: 15 * 60)
        for machine in machines {
            guard let name = machine.node else { continue }
            let seconds = ended[name].map { ($0 - started).inSeconds } ?? (ContinuousClock.now - started).inSeconds
            day.add(DeployDayReport.readyingCase(machine: machine.machine.name, node: try await client.node(named: name), seconds: seconds))
        }
    }

    /// Polls (every 3 s, at most `timeoutSeconds`) until every node is in one of `states`; answers when each got there
    /// (nodes that never did are missing).
    private func waitForStates(
        _ names: [String], in states: Set<NodeState>, client: CrowbarClient, timeoutSeconds: Int
    ) async throws -> [String: ContinuousClock.Instant] {
        var ended: [String: ContinuousClock.Instant] = [:]
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        while ended.count < names.count, ContinuousClock.now < deadline {
            for node in try await client.nodes() where names.contains(node.name) && ended[node.name] == nil && states.contains(node.state) {
                ended[node.name] = .now
                say("\(node.name): \(node.state.rawValue)")
            }
            if ended.count < names.count { try await Task.sleep(for: .seconds(3)) }
        }
        return ended
    }

    /// Allocates every lab node that has no admin address yet and adds the address to its interface.
    private func allocate(_ labNodes: [LabNode], lab: Lab, client: CrowbarClient) async throws {
        for labNode in labNodes {
            var node = try await client.node(named: labNode.name)
            if node.adminAddress == nil { node = try await client.allocate(node: labNode.name) }
            guard let address = node.adminAddress else { throw DeployDayError(description: "crowbard allocated \(labNode.name) without an admin address") }
            try await lab.addAdminAddress(address.description, toNode: labNode.name)
            say("\(labNode.name): allocated, admin address \(address)")
        }
    }

    /// Applies the cloud again, every proposal, its run logs into reapply.log; the re-apply case fails on any change.
    private func reapply(_ file: String, client: CrowbarClient, into day: inout DeployDay) async throws {
        let started = ContinuousClock.now
        var reapplied: [AppliedProposal] = []
        try Data().write(to: URL(fileURLWithPath: path("reapply.log")))
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: path("reapply.log")))
        defer { try? log.close() }
        var stopped: (any Error)?
        do {
            try await BatchFollower(client: client, output: log).apply(file: file, force: true) { applied in
                try BatchReportLine(applied).append(to: path("reapply.jsonl"))
                reapplied.append(applied)
            }
        } catch { stopped = error }
        // A failed run is the re-apply case's failure; an error before any run is the phase's alone.
        if stopped == nil || !reapplied.isEmpty {
            day.add(DeployDayReport.reapplyCase(reapplied, seconds: (ContinuousClock.now - started).inSeconds))
        }
        if let stopped { throw stopped }
    }

    /// A run's whole log, page by page (the API answers at most 1000 lines at a time).
    private func fullLog(of run: Int64, client: CrowbarClient) async throws -> [RunLogLine] {
        var lines: [RunLogLine] = []
        for _ in 0..<1000 {
            let page = try await client.runLog(run, after: lines.last?.sequence ?? 0)
            if page.isEmpty { break }
            lines += page
        }
        return lines
    }

    private func verifierChecks() throws -> [String] {
        let file = "\(recipes)/verification/verifier.yml"
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read \(file)") }
        return DeployDayReport.checks(in: try RecipeParser.parse(text, name: "verification/verifier", file: file))
    }

    /// Creates --out, removing what an earlier deploy-day wrote there.
    private func prepareOutputFolder() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for name in ["junit.xml", "summary.txt", "timings.txt", "apply.jsonl", "reapply.jsonl", "verify.jsonl", "reapply.log", "node-logs"] {
            try? FileManager.default.removeItem(atPath: path(name))
        }
    }

    private func path(_ name: String) -> String { "\(out)/\(name)" }

    /// Writes to standard output's descriptor, in order with the followed run logs.
    private func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
}

/// A deploy-day problem that is neither the API's nor the lab's.
struct DeployDayError: Error, CustomStringConvertible {
    var description: String
}

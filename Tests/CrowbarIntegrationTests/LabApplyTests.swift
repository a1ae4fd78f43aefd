import CrowbarCore
import Foundation
import Testing

/// Whether this machine can run the lab: root, systemd-nspawn, debootstrap, QEMU and iproute2.
private let labAvailable = getuid() == 0
    && ["/usr/bin/systemd-nspawn", "/usr/sbin/debootstrap", "/usr/bin/ssh", "/usr/bin/qemu-system-x86_64"]
        .allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    && ["/usr/sbin/ip", "/bin/ip"].contains { FileManager.default.isExecutableFile(atPath: $0) }

/// The real lab through the real crowbard and crowbar binaries. It takes over the machine's lab (crowbar-lab
/// namespaces, 192.168.124.0/24) and tears it down after each test; the tests run one after another.
/// - PXE: QEMU machines boot from crowbard's DHCP → iPXE → HTTP boot.ipxe → discovery image → registered.
/// - Apply: small barclamps (Tests/Fixtures/lab) on systemd-nspawn nodes with sshd: changes, no-op re-apply, check
///   mode, a failing resource, and a crash mid-run.
@Suite("Lab: PXE discovery and apply over SSH", .serialized, .enabled(if: labAvailable, "needs root, systemd-nspawn, debootstrap, qemu"))
final class LabApplyTests {
    let binaries: Binaries
    let dataDir: URL
    var daemon: Daemon
    let definitions = Fixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/lab")
    /// Boot files (the discovery image) live beside the lab's cached base root, built once.
    static let bootFiles = (ProcessInfo.processInfo.environment["CROWBAR_LAB_DIR"] ?? "/var/lib/crowbar-lab") + "/boot"

    init() throws {
        binaries = try Binaries()
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-lab-apply-\(UUID().uuidString)")
        daemon = try Daemon(binaries: binaries, dataDir: dataDir, definitions: definitions)
    }

    deinit {
        _ = try? binaries.crowbar(["lab", "down"], daemon: daemon, limit: 120)
        daemon.stop()
        try? FileManager.default.removeItem(at: dataDir)
    }

    func crowbar(_ arguments: String..., limit: TimeInterval = 120) throws -> CommandResult {
        try binaries.crowbar(arguments, daemon: daemon, limit: limit)
    }

    func run(_ id: Int) throws -> Run {
        try JSONDecoder.crowbar.decode(Run.self, from: Data(try crowbar("run", "show", String(id), "--json").output.utf8))
    }

    /// Polls a run's log (at most 20 s) until it contains `text`.
    func waitForLog(of run: Int, containing text: String) throws -> Bool {
        for _ in 0..<100 {
            if try crowbar("run", "log", String(run)).output.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return false
    }

    /// Runs a command on a lab node with OpenSSH and the running crowbard's key.
    func onNode(_ address: String, _ command: String) throws -> String {
        try CommandResult.run(
            "/usr/bin/ssh",
            [
                "-i", daemon.dataDir.appendingPathComponent("ssh/id_ed25519").path, "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10", "root@\(address)", command,
            ],
            environment: ProcessInfo.processInfo.environment, limit: 30
        ).output
    }

    /// Polls the node list (every 2 s, at most `limitSeconds`) until `count` nodes match; answers the list.
    func waitForNodes(count: Int, limitSeconds: Int, where matches: (Node) -> Bool) throws -> [Node] {
        var nodes: [Node] = []
        for _ in 0..<(limitSeconds / 2) {
            nodes = try JSONDecoder.crowbar.decode([Node].self, from: Data(try crowbar("node", "list", "--json").output.utf8))
            if nodes.filter(matches).count >= count { return nodes }
            Thread.sleep(forTimeInterval: 2)
        }
        Issue.record("only \(nodes.filter(matches).count) of \(count) nodes within \(limitSeconds) s: \(nodes)")
        return nodes
    }

    /// Polls a subject's events (every 2 s, at most `limitSeconds`) for one after `id` that matches.
    func waitForEvent(after id: Int64, subject: String, limitSeconds: Int, where matches: (Event) -> Bool) throws -> Bool {
        for _ in 0..<(limitSeconds / 2) {
            let events = try JSONDecoder.crowbar.decode(
                [Event].self, from: Data(try crowbar("events", "--subject", subject, "--after", String(id), "--json").output.utf8))
            if events.contains(where: matches) { return true }
            Thread.sleep(forTimeInterval: 2)
        }
        return false
    }

    @Test(.timeLimit(.minutes(12)))
    func pxeMachinesArePoweredOnThroughTheirBMCsAndDiscovered() throws {
        let build = try CommandResult.run(
            "/bin/bash", [Fixtures.repositoryRoot.appendingPathComponent("iso/build-discovery.sh").path, Self.bootFiles],
            environment: ProcessInfo.processInfo.environment, limit: 300)
        #expect(build.status == 0, "\(build.output)\(build.errors)")
        // The shipped barclamps (the network barclamp's admin network gives DHCP its range), boot services on.
        daemon.stop()
        daemon = try Daemon(
            binaries: binaries, dataDir: dataDir.appendingPathComponent("pxe"), definitions: Fixtures.repositoryRoot,
            extraArguments: ["--boot-address", "192.168.124.10", "--boot-interface", "crowbar0", "--boot-files", Self.bootFiles])
        // The machines come up powered off, registered with their BMCs; crowbard powers them on through IPMI.
        let up = try crowbar("lab", "up", "--nodes", "0", "--vms", "2", "--powered-off", limit: 120)
        #expect(up.status == 0, "\(up.output)\(up.errors)")
        #expect(up.output.contains("2 machines registered with their BMCs, powered off"), "\(up.output)")
        let off = try JSONDecoder.crowbar.decode([PowerResult].self, from: Data(try crowbar("node", "power", "--all", "status", "--json").output.utf8))
        #expect(off.map(\.state) == [.off, .off], "\(off.map { "\($0.node): \($0.failure?.description ?? "ok")" })")
        let powerOn = try crowbar("node", "power", "--all", "on", "--boot", "pxe")
        #expect(powerOn.status == 0, "\(powerOn.output)\(powerOn.errors)")
        var nodes = try waitForNodes(count: 2, limitSeconds: 300) { $0.bootAddress != nil }
        let dhcpRange = IPv4Address("192.168.124.21")!...IPv4Address("192.168.124.80")!
        for number in 1...2 {
            let mac = String(format: "52:54:00:77:01:%02x", number)
            let node = try #require(nodes.first { $0.macs.first?.description == mac }, "no node for \(mac): \(up.output)\(up.errors)")
            #expect(node.state == .discovered)
            #expect(node.name == "d" + mac.replacingOccurrences(of: ":", with: "-"))
            #expect(node.inventory.serial == "vm\(number)", "DMI serial read by the agent")
            #expect(node.inventory.vendor == "crowbar-lab")
            #expect(node.inventory.cpuCount == 1)
            #expect((300...512).contains(node.inventory.memoryMB ?? 0))
            #expect(node.inventory.disks.contains { $0.name == "vda" && $0.sizeBytes == 2 << 30 })
            #expect(node.inventory.cpuModel?.contains("QEMU") == true)
            #expect(node.bootAddress.map(dhcpRange.contains) == true, "\(String(describing: node.bootAddress))")
            // The BMC, read in-band by the agent through the machine's KCS interface.
            #expect(node.inventory.bmcAddress == "192.168.124.\(161 + number)")
            #expect(node.inventory.bmcMAC == String(format: "52:54:00:77:02:%02x", number))
            #expect(node.inventory.bmcVendor == "MontaVista Software, Inc.")
        }
        // A power cycle through the BMC brings the machine back to discovery: its agent reports again.
        let first = "d52-54-00-77-01-01"
        let seen = try JSONDecoder.crowbar.decode([Event].self, from: Data(try crowbar("events", "--subject", first, "--json").output.utf8))
        #expect(try crowbar("node", "power", first, "cycle").status == 0)
        #expect(try waitForEvent(after: seen.last?.id ?? 0, subject: first, limitSeconds: 240) { $0.kind == .nodeRegistered }, "rediscovered after the cycle")
        // Refused credentials say so, with their own exit code.
        let wrong = dataDir.appendingPathComponent("wrong-password")
        try Data("not-the-password".utf8).write(to: wrong)
        // No --address: the one the agent read in-band.
        #expect(try crowbar("node", "bmc", "set", first, "--username", "admin", "--password-file", wrong.path).status == 0)
        let bmc = try JSONDecoder.crowbar.decode(BMC.self, from: Data(try crowbar("node", "bmc", "show", first, "--json").output.utf8))
        #expect(bmc.address == "192.168.124.162" && bmc.source == .discovery && bmc.password == "********")
        let refused = try crowbar("node", "power", first, "status")
        #expect(refused.status == 12, "\(refused.output)\(refused.errors)")
        #expect(refused.errors.contains("refused the credentials of user admin"))
        nodes = try JSONDecoder.crowbar.decode([Node].self, from: Data(try crowbar("node", "list", "--json").output.utf8))
        let boot = try JSONDecoder.crowbar.decode(BootStatus.self, from: Data(try crowbar("boot", "--json").output.utf8))
        #expect(Set(boot.leases.map(\.mac.description)) == ["52:54:00:77:01:01", "52:54:00:77:01:02"])
        #expect(Set(boot.leases.map(\.address)) == Set(nodes.compactMap(\.bootAddress)))
        #expect(boot.counters["dhcp.sent.ACK", default: 0] >= 2)
        #expect(boot.counters.keys.allSatisfy { !$0.hasPrefix("dhcp.malformed") })
        // Powered off through the BMC, the machine's QEMU is gone.
        #expect(try crowbar("node", "power", "d52-54-00-77-01-02", "off").status == 0)
        let status = try crowbar("lab", "status")
        #expect(status.output.split(separator: "\n").contains { $0.hasPrefix("vm2") && $0.contains(" no ") }, "\(status.output)")
        // Down leaves no machine, tap or namespace behind.
        #expect(try crowbar("lab", "down", limit: 120).status == 0)
        #expect(try crowbar("lab", "status").output.contains("vm1") == false)
        let links = try CommandResult.run("/usr/sbin/ip", ["netns", "list"], environment: [:], limit: 10).output
        #expect(!links.contains("crowbar-lab"))
        // The same crowbard serves the lab again when it comes back (its DHCP socket follows the new crowbar0).
        #expect(try crowbar("node", "delete", "d52-54-00-77-01-01").status == 0)
        let again = try crowbar("lab", "up", "--nodes", "0", "--vms", "1", "--discovery-timeout", "300", limit: 400)
        #expect(again.status == 0, "\(again.output)\(again.errors)")
        #expect(try crowbar("lab", "down", limit: 120).status == 0)
        #expect(daemon.stop() == 0, "graceful shutdown with boot services running: \(daemon.output.suffix(2000))")
    }

    /// Builds (or finds up to date) what an install needs: the discovery and installer images, the offline repository
    /// and the OS image made from it.
    func buildInstallImages() throws {
        let root = Fixtures.repositoryRoot.path
        let repository = (ProcessInfo.processInfo.environment["CROWBAR_LAB_DIR"] ?? "/var/lib/crowbar-lab") + "/repository"
        for (script, arguments, limit) in [
            ("iso/build-discovery.sh", [Self.bootFiles], 300.0), ("iso/build-repository.sh", [repository, "--recipes", root + "/recipes"], 1200),
            ("iso/build-os-image.sh", [Self.bootFiles, repository], 600),
        ] {
            let build = try CommandResult.run("/bin/bash", ["\(root)/\(script)"] + arguments, environment: ProcessInfo.processInfo.environment, limit: limit)
            #expect(build.status == 0, "\(script): \(build.output)\(build.errors)")
        }
    }

    /// Polls a node (every 3 s, at most `limitSeconds`) until it is in one of `states`; answers it.
    func waitForState(_ name: String, in states: Set<NodeState>, limitSeconds: Int) throws -> Node {
        var node = try JSONDecoder.crowbar.decode(Node.self, from: Data(try crowbar("node", "show", name, "--json").output.utf8))
        for _ in 0..<(limitSeconds / 3) where !states.contains(node.state) {
            Thread.sleep(forTimeInterval: 3)
            node = try JSONDecoder.crowbar.decode(Node.self, from: Data(try crowbar("node", "show", name, "--json").output.utf8))
        }
        return node
    }

    @Test(.timeLimit(.minutes(30)))
    func aMachineIsInstalledThroughACrowbardCrashAndAppliedToWithItsPinnedKey() throws {
        try buildInstallImages()
        let repository = (ProcessInfo.processInfo.environment["CROWBAR_LAB_DIR"] ?? "/var/lib/crowbar-lab") + "/repository"
        let arguments = [
            "--boot-address", "192.168.124.10", "--boot-interface", "crowbar0", "--boot-files", Self.bootFiles, "--repository", repository,
        ]
        let data = dataDir.appendingPathComponent("install")
        daemon.stop()
        daemon = try Daemon(binaries: binaries, dataDir: data, definitions: Fixtures.repositoryRoot, extraArguments: arguments)
        let up = try crowbar("lab", "up", "--nodes", "0", "--vms", "1", "--discovery-timeout", "300", limit: 400)
        #expect(up.status == 0, "\(up.output)\(up.errors)")
        let name = "d52-54-00-77-01-01"
        let allocated = try crowbar("node", "allocate", name, "--os", "debian-12")
        #expect(allocated.status == 0, "\(allocated.output)\(allocated.errors)")
        #expect(allocated.output.contains("installing debian-12"))

        // crowbard killed while the image is written: the installer's report waits for the restarted crowbard, which
        // takes it (the attempt and its deadline are in the database) and sees the node through to ready.
        var progress = ""
        for _ in 0..<200 where !progress.contains("image: writing") {
            Thread.sleep(forTimeInterval: 2)
            progress = try crowbar("node", "install", name).output
        }
        #expect(progress.contains("image: writing"), "the installer reached the image: \(progress)")
        daemon.crash()
        Thread.sleep(forTimeInterval: 5)
        daemon = try Daemon(binaries: binaries, dataDir: data, definitions: Fixtures.repositoryRoot, extraArguments: arguments)
        let node = try waitForState(name, in: [.ready, .problem], limitSeconds: 900)
        let install = try JSONDecoder.crowbar.decode(InstallStatus.self, from: Data(try crowbar("node", "install", name, "--json").output.utf8))
        #expect(node.state == .ready, "\(install.log.map { "\($0.phase): \($0.text)" }.joined(separator: "\n"))")
        #expect(install.attempt.status == .finished)
        let phases = install.log.map(\.phase).reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
        #expect(phases == ["start", "boot", "plan", "partition", "image", "configure", "bootloader", "done"], "\(phases)")
        let pin = try #require(node.sshHostKey)
        #expect(pin.type == "ssh-ed25519")
        #expect(install.log.contains { $0.text == "installed; host key \(pin) pinned" })

        // The installed OS: its own host key (the one pinned), its admin address, booted from its disk.
        let address = try #require(node.adminAddress?.description)
        let keyscan = try onNode(address, "ssh-keygen -l -E sha256 -f /etc/ssh/ssh_host_ed25519_key.pub")
        #expect(keyscan.contains(pin.fingerprint), "\(keyscan)")
        #expect(try onNode(address, "findmnt -n -o SOURCE /") == "/dev/vda2\n")
        #expect(try onNode(address, "hostname") == "\(name)\n")
        // Its apt takes crowbard's repository, signed by crowbard's key, which came with the plan and is the only one
        // trusted for it.
        #expect(try onNode(address, "cat /etc/apt/sources.list") == "deb [signed-by=/etc/apt/keyrings/crowbar.asc] http://192.168.124.10:8091/debian ./\n")
        let update = try onNode(address, "apt-get update -q 2>&1; echo status=$?")
        #expect(update.hasSuffix("status=0\n") && !update.contains("W:"), "\(update)")

        // A real role applied over SSH with the pinned key: the provisioner's, server and base, on the installed machine.
        #expect(try crowbar("proposal", "create", "provisioner", "default").status == 0)
        #expect(try crowbar("proposal", "assign", "provisioner", "default", "provisioner-server", name).status == 0)
        #expect(try crowbar("proposal", "assign", "provisioner", "default", "provisioner-base", name).status == 0)
        let applied = try crowbar("proposal", "commit", "--follow", "provisioner", "default", limit: 600)
        #expect(applied.status == 0, "\(applied.output)\(applied.errors)")
        #expect(try onNode(address, "cat /etc/apt/apt.conf.d/90crowbar").contains("Install-Recommends"))
        let again = try onNode(address, "grep -c signed-by=/etc/apt/keyrings/crowbar.asc /etc/apt/sources.list; apt-get update -q 2>&1; echo status=$?")
        #expect(again.hasPrefix("1\n") && again.hasSuffix("status=0\n") && !again.contains("W:"), "the provisioner's sources and key: \(again)")
        #expect(try crowbar("lab", "down", limit: 120).status == 0)
    }

    @Test(.timeLimit(.minutes(10)))
    func applyIsOrderedIdempotentCheckableAndResumable() throws {
        let up = try crowbar("lab", "up", "--nodes", "4", "--authorized-key", dataDir.appendingPathComponent("ssh/id_ed25519.pub").path, limit: 600)
        #expect(up.status == 0, "\(up.output)\(up.errors)")
        #expect(up.output.contains("4 nodes up and registered"))
        let nodes = try JSONDecoder.crowbar.decode([Node].self, from: Data(try crowbar("node", "list", "--json").output.utf8))
        #expect(nodes.map(\.name) == ["n1", "n2", "n3", "n4"])
        #expect(nodes.allSatisfy { $0.sshHostKey?.fingerprint.hasPrefix("SHA256:") == true }, "host keys pinned at registration")

        // First apply changes things, in role order: the server before its clients.
        #expect(try crowbar("proposal", "create", "labcheck", "default").status == 0)
        #expect(try crowbar("proposal", "assign", "labcheck", "default", "labcheck-server", "n1").status == 0)
        #expect(try crowbar("proposal", "assign", "labcheck", "default", "labcheck-client", "n2", "n3").status == 0)
        let first = try crowbar("proposal", "commit", "--follow", "labcheck", "default")
        #expect(first.status == 0, "\(first.output)\(first.errors)")
        let firstRun = try run(1)
        #expect(firstRun.status == .succeeded)
        #expect(firstRun.steps.map(\.plan.role) == ["labcheck-server", "labcheck-client"])
        #expect(firstRun.steps[0].changedCount >= 6)
        #expect(firstRun.steps[1].results.map(\.node) == ["n2", "n3"])
        #expect(try onNode("192.168.124.62", "cat /etc/labcheck-fetched") == "hello from crowbar on n1\n")
        // A start that exits 219/CGROUP is started once more, by the real systemd of the node.
        #expect(try onNode("192.168.124.61", "systemctl is-active labcheck-once") == "active\n")

        // The generated secret reached the node but never the log.
        let secrets = try crowbar("proposal", "show", "labcheck", "default", "--secrets", "--json").output
        let password = try #require(secrets.firstMatch(of: /"api_password":"([^"]+)"/)?.output.1)
        #expect(try onNode("192.168.124.61", "cat /etc/crowbar-labcheck/app.conf").contains("password = \(password)"))
        let log = try crowbar("run", "log", "1").output
        #expect(log.contains("the password is ********"))
        #expect(log.contains("start labcheck-once: systemd could not move its process into the unit's control group (219/CGROUP); starting it once more"))
        #expect(log.contains("start labcheck-once: done"))
        #expect(!log.contains(password))
        #expect(!(try crowbar("run", "show", "1", "--json").output.contains(password)))

        // A second apply changes nothing.
        #expect(try crowbar("proposal", "commit", "--follow", "labcheck", "default").status == 0)
        #expect(try run(2).changedCount == 0)

        // Check mode reports the change of a committed greeting and makes none.
        #expect(try crowbar("proposal", "set", "labcheck", "default", "greeting=changed").status == 0)
        #expect(try crowbar("proposal", "commit", "--no-apply", "labcheck", "default").status == 0)
        #expect(try crowbar("proposal", "check", "labcheck", "default").status == 0)
        let check = try run(3)
        #expect(check.checkMode)
        #expect(check.steps[0].results.first?.resources.filter { $0.status == .changed }.map(\.resource).contains("file /etc/crowbar-labcheck/greeting") == true)
        #expect(try onNode("192.168.124.61", "cat /etc/crowbar-labcheck/greeting") == "hello from crowbar on n1\n")

        // A failing resource fails its step and the run, naming node, resource and output.
        #expect(try crowbar("proposal", "set", "labcheck", "default", "fail_on=n3").status == 0)
        let failing = try crowbar("proposal", "commit", "--follow", "labcheck", "default")
        #expect(failing.status == 8)
        let failed = try run(4)
        #expect(failed.status == .failed)
        #expect(failed.failure?.node == "n3")
        #expect(failed.failure?.resource?.hasPrefix("command echo failing on purpose") == true)
        #expect(failed.failure?.output == "failing on purpose on n3\n")
        #expect(try onNode("192.168.124.61", "cat /etc/crowbar-labcheck/greeting") == "changed on n1\n")
        #expect(try crowbar("run", "log", "4").output.contains("restart labcheck: done"), "app.conf changed: subscribed service restarted")
        #expect(try crowbar("proposal", "show", "labcheck", "default", "--json").output.contains(#""status":"failed""#))

        // crowbard killed in the middle of step 2 of 3: after a restart the run resumes, and each step ran
        // exactly once on every node (the node-side dead man's switch stopped the orphaned step).
        #expect(try crowbar("proposal", "create", "labsteps", "default").status == 0)
        for role in ["labsteps-one", "labsteps-two", "labsteps-three"] {
            #expect(try crowbar("proposal", "assign", "labsteps", "default", role, "n1", "n2", "n3").status == 0)
        }
        #expect(try crowbar("proposal", "set", "labsteps", "default", "pause=6").status == 0)
        #expect(try crowbar("proposal", "commit", "labsteps", "default").output.contains("run 5 applies it"))
        #expect(try waitForLog(of: 5, containing: "step 2/3"))
        Thread.sleep(forTimeInterval: 1)
        daemon.crash()
        #expect(try crowbar("run", "show", "5", limit: 10).status == 3, "crowbard is down")
        daemon = try Daemon(binaries: binaries, dataDir: dataDir, definitions: definitions)
        let resumed = try crowbar("run", "log", "5", "--follow")
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(try run(5).status == .succeeded)
        #expect(daemon.output.contains("resuming run"))
        for address in ["192.168.124.61", "192.168.124.62", "192.168.124.63"] {
            #expect(try onNode(address, "cat /var/log/labsteps") == "one\ntwo\nthree\n", "on \(address)")
        }

        // An operator's cancel stops a running apply within seconds; later steps never start.
        #expect(try crowbar("proposal", "set", "labsteps", "default", "pause=120").status == 0)
        #expect(try crowbar("proposal", "commit", "labsteps", "default").output.contains("run 6 applies it"))
        #expect(try waitForLog(of: 6, containing: "step 2/3"))
        let cancelledAt = Date()
        #expect(try crowbar("run", "cancel", "6").status == 0)
        #expect(try crowbar("run", "log", "6", "--follow", limit: 60).status == 9)
        #expect(Date().timeIntervalSince(cancelledAt) < 20)
        let cancelled = try run(6)
        #expect(cancelled.status == .cancelled)
        #expect(cancelled.steps.map(\.status) == [.succeeded, .cancelled, .pending])
        Thread.sleep(forTimeInterval: 2)
        #expect(try onNode("192.168.124.61", "pgrep -c -x sleep || true") == "0\n", "the node-side apply was stopped")

        // A node entering readying gets the barclamps that list that transition (labcheck: its client role),
        // and becomes ready when they applied, problem when they failed.
        for state in ["allocated", "installing", "installed", "readying"] {
            #expect(try crowbar("node", "transition", "n4", state).status == 0)
        }
        #expect(try crowbar("run", "log", "7", "--follow").status == 0)
        #expect(try run(7).transitionNode == "n4")
        #expect(try onNode("192.168.124.64", "cat /etc/labcheck-fetched") == "changed on n1\n")
        #expect(try crowbar("node", "show", "n4", "--json").output.contains(#""state":"ready""#))
        let assigned = try crowbar("proposal", "show", "labcheck", "default", "--json").output
        #expect(assigned.contains(#""labcheck-client":["n2","n3","n4"]"#))
        #expect(try crowbar("proposal", "set", "labcheck", "default", "fail_on=n4").status == 0)
        #expect(try crowbar("proposal", "commit", "--no-apply", "labcheck", "default").status == 0)
        #expect(try crowbar("node", "transition", "n4", "readying").status == 0)
        #expect(try crowbar("run", "log", "8", "--follow").status == 8)
        #expect(try crowbar("node", "show", "n4", "--json").output.contains(#""state":"problem""#))

        // crowbard killed (SIGKILL) in the middle of a batch's second proposal: after a restart the batch resumes
        // that proposal's run, never applies the first one again and queues no other run.
        let before = (try onNode("192.168.124.61", "cat /var/log/labsteps"), try onNode("192.168.124.62", "cat /var/log/labsteps"))
        let batchFile = dataDir.appendingPathComponent("steps.yml")
        try """
            nodes:
              - {alias: a, name: n1}
              - {alias: b, name: n2}
            proposals:
              - barclamp: labsteps
                name: afirst
                deployment: {elements: {labsteps-one: ["@@a@@"], labsteps-two: ["@@a@@"], labsteps-three: ["@@a@@"]}}
              - barclamp: labsteps
                name: bsecond
                attributes: {pause: 6}
                deployment: {elements: {labsteps-one: ["@@b@@"], labsteps-two: ["@@b@@"], labsteps-three: ["@@b@@"]}}
            """.write(to: batchFile, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["CROWBAR_URL"] = daemon.url
        environment["CROWBAR_DATA_DIR"] = dataDir.path
        let follower = try ChildProcess(
            binaries.crowbar.path, ["batch", "apply", batchFile.path], environment: environment,
            stdout: dataDir.appendingPathComponent("batch.out").path, stderr: dataDir.appendingPathComponent("batch.err").path)
        #expect(try waitForLog(of: 10, containing: "step 2/3"), "the second proposal's run is 10")
        Thread.sleep(forTimeInterval: 1)
        daemon.crash()
        #expect(follower.wait(timeout: 20) == 3, "the follower loses crowbard: exit 3")
        daemon = try Daemon(binaries: binaries, dataDir: dataDir, definitions: definitions)
        var batch = try JSONDecoder.crowbar.decode(Batch.self, from: Data(try crowbar("batch", "show", "1", "--json").output.utf8))
        for _ in 0..<120 where !batch.status.isFinished {
            Thread.sleep(forTimeInterval: 0.5)
            batch = try JSONDecoder.crowbar.decode(Batch.self, from: Data(try crowbar("batch", "show", "1", "--json").output.utf8))
        }
        #expect(batch.status == .succeeded, "\(batch)")
        #expect(batch.entries.map(\.run) == [9, 10])
        #expect(try JSONDecoder.crowbar.decode([Run].self, from: Data(try crowbar("run", "list", "--json").output.utf8)).first?.id == 10)
        #expect(try onNode("192.168.124.61", "cat /var/log/labsteps") == before.0 + "one\ntwo\nthree\n")
        #expect(try onNode("192.168.124.62", "cat /var/log/labsteps") == before.1 + "one\ntwo\nthree\n")
    }

    /// crowbard killed (`CROWBAR_CRASH_AT`: the process ends as kill -9 would) at each gap of a commit, a cancel and a
    /// node's move into a state that applies barclamps, then restarted: the store holds all of a change or none of it,
    /// and whatever was started finishes — no lost run, no run resumed that an operator cancelled, no node left
    /// `readying` with nothing coming.
    @Test(.timeLimit(.minutes(8)))
    func crashesAtEveryGapOfCommitCancelAndTransitionLeaveAWholeState() throws {
        let up = try crowbar("lab", "up", "--nodes", "2", "--authorized-key", dataDir.appendingPathComponent("ssh/id_ed25519.pub").path, limit: 600)
        #expect(up.status == 0, "\(up.output)\(up.errors)")
        #expect(try crowbar("proposal", "create", "labsteps", "default").status == 0)
        for role in ["labsteps-one", "labsteps-two", "labsteps-three"] {
            #expect(try crowbar("proposal", "assign", "labsteps", "default", role, "n1").status == 0)
        }
        #expect(try crowbar("proposal", "create", "labready", "default").status == 0)
        #expect(try crowbar("proposal", "commit", "--no-apply", "labready", "default").status == 0)
        for node in ["n1", "n2"] {
            for state in ["allocated", "installing", "installed"] { #expect(try crowbar("node", "transition", node, state).status == 0) }
        }

        /// Restarts crowbard armed at `point`, runs `request`, which must kill it there (the CLI fails), and restarts it unarmed.
        func crash(at point: String, during request: () throws -> CommandResult) throws {
            daemon.stop()
            daemon = try Daemon(binaries: binaries, dataDir: dataDir, definitions: definitions, environment: ["CROWBAR_CRASH_AT": point])
            let failed = try request()
            #expect(failed.status != 0, "the request's crowbard is gone: \(failed.output)")
            #expect(daemon.waitForExit(timeout: 30) == 137, "crowbard ended at \(point)")
            #expect(daemon.output.contains("crash point \(point) reached"))
            daemon = try Daemon(binaries: binaries, dataDir: dataDir, definitions: definitions)
        }
        func proposal(_ barclamp: String) throws -> Proposal {
            try JSONDecoder.crowbar.decode(Proposal.self, from: Data(try crowbar("proposal", "show", barclamp, "default", "--json").output.utf8))
        }
        func runs() throws -> [Run] { try JSONDecoder.crowbar.decode([Run].self, from: Data(try crowbar("run", "list", "--json").output.utf8)) }
        func node(_ name: String) throws -> Node {
            try JSONDecoder.crowbar.decode(Node.self, from: Data(try crowbar("node", "show", name, "--json").output.utf8))
        }

        // Inside the commit's transaction: no revision, no run; the edits wait in the working copy.
        try crash(at: "commit.in-transaction") { try crowbar("proposal", "commit", "labsteps", "default") }
        #expect(try proposal("labsteps").revision == 0)
        #expect(try proposal("labsteps").hasPendingChanges)
        #expect(try runs().isEmpty)

        // After it, before the orchestrator heard of the run: the run was stored with its revision and runs at restart.
        try crash(at: "commit.before-schedule") { try crowbar("proposal", "commit", "labsteps", "default") }
        #expect(try proposal("labsteps").revision == 1)
        #expect(try crowbar("run", "log", "1", "--follow").status == 0)
        #expect(try run(1).status == .succeeded)
        #expect(try onNode("192.168.124.61", "cat /var/log/labsteps") == "one\ntwo\nthree\n")

        // An operator's cancel stored, crowbard gone before the run stopped: at restart the run ends cancelled, not resumed.
        try crash(at: "cancel.requested") {
            #expect(try crowbar("proposal", "set", "labsteps", "default", "pause=120").status == 0)
            #expect(try crowbar("proposal", "commit", "labsteps", "default").output.contains("run 2 applies it"))
            #expect(try waitForLog(of: 2, containing: "step 2/3"))
            return try crowbar("run", "cancel", "2")
        }
        #expect(try crowbar("run", "log", "2", "--follow", limit: 30).status == 9, "ended cancelled within seconds of the restart")
        #expect(try run(2).steps.map(\.status) == [.succeeded, .cancelled, .pending])
        #expect(try run(2).cancelRequestedAt != nil)
        #expect(daemon.output.contains("run cancelled"))

        // Inside a node's move to readying: the node stays installed with no run; asked again, it moves and applies.
        try crash(at: "transition.in-transaction") { try crowbar("node", "transition", "n2", "readying") }
        #expect(try node("n2").state == .installed)
        #expect(try runs().count == 2)
        #expect(try crowbar("node", "transition", "n2", "readying").status == 0)
        #expect(try crowbar("run", "log", "3", "--follow").status == 0)
        #expect(try run(3).transitionNode == "n2")
        #expect(try node("n2").state == .ready)

        // After the move, before the orchestrator heard of its run: the node is readying with its run, which runs at
        // restart and makes it ready.
        try crash(at: "transition.before-schedule") { try crowbar("node", "transition", "n1", "readying") }
        #expect(try run(4).transitionNode == "n1")
        #expect(try crowbar("run", "log", "4", "--follow").status == 0)
        #expect(try node("n1").state == .ready)
        #expect(try onNode("192.168.124.62", "cat /var/log/labready") == "ready\n", "n2 applied once")
        #expect(try onNode("192.168.124.61", "cat /var/log/labready") == "ready\n", "n1 applied once")
        #expect(try proposal("labready").content.deployment["labready-node"]?.sorted() == ["n1", "n2"])
    }

    /// The operator's whole loop in `crowbar tui` (tmux, 100×30) against crowbard and two nspawn nodes: a typed form
    /// (a bad value refused with the schema's message), roles picked, diff and plan, a commit watched to its end, a
    /// long run cancelled, and a batch file previewed and applied.
    @Test(.timeLimit(.minutes(6)))
    func theOperatorEditsCommitsWatchesAndCancelsRunsInTheTerminalUI() async throws {
        let up = try crowbar("lab", "up", "--nodes", "2", "--authorized-key", dataDir.appendingPathComponent("ssh/id_ed25519.pub").path, limit: 600)
        #expect(up.status == 0, "\(up.output)\(up.errors)")
        #expect(try crowbar("proposal", "create", "labsteps", "default").status == 0)
        let batchFile = dataDir.appendingPathComponent("tui.yml")
        try """
            proposals:
              - barclamp: labsteps
                name: fromfile
                deployment: {elements: {labsteps-one: [n2]}}
            """.write(to: batchFile, atomically: true, encoding: .utf8)
        let tui = "CROWBAR_URL=\(daemon.url) CROWBAR_DATA_DIR=\(dataDir.path) \(binaries.crowbar.path) tui"
        let terminal = try TmuxSession("crowbar-tui-lab-\(getpid())", width: 100, height: 30, command: "\(tui); echo EXIT=$?; sleep 300")

        try await terminal.expectScreen("── discovered (2)", "the lab's nodes", seconds: 60)
        try terminal.keys("2")
        try await terminal.expectScreen("labsteps         default          draft", "the proposals screen")
        try terminal.keys("Enter")
        try await terminal.expectScreen("  pause                          0", "the form")
        try terminal.keys("Enter", "BSpace", "x", "Enter")
        try await terminal.expectScreen("refused: pause: 'x' is not a valid integer", "a bad value is refused in the form")
        try terminal.keys("BSpace", "2", "Enter")
        try await terminal.expectScreen("labsteps/default: pause set", "a good one is sent")
        for (role, marks) in [("labsteps-one", ["Space"]), ("labsteps-two", ["Space", "Down", "Space"]), ("labsteps-three", ["Down", "Space"])] {
            try terminal.keys("Down", "Enter")
            try await terminal.expectScreen("Nodes of \(role): space marks", "the node picker")
            for key in marks { try terminal.keys(key) }
            try terminal.keys("Enter")
            try await terminal.expectScreen("labsteps/default: \(role) on", "nodes assigned")
        }
        try await terminal.expectScreen(column("role labsteps-two", 31) + "n1, n2", "the form shows the assignment")
        try terminal.keys("v")
        try await terminal.expectScreen("+ attributes.pause: 2", "the diff")
        try terminal.keys("Escape", "p")
        try await terminal.expectScreen("Plan if committed (3 steps, 4 node applies):", "the plan")
        try terminal.keys("Escape", "c")
        try await terminal.expectScreen("Commit labsteps/default and apply it to its nodes? [y/N]", "a commit asks first")
        try terminal.keys("y")
        try await terminal.expectScreen("run 1 · labsteps/default r1 · succeeded", "the run watched to its end", seconds: 60)
        try await terminal.expectScreen(column("labsteps/labsteps-two", 29) + "succeeded n1 changed, n2 changed", "each node's status")
        try await terminal.expectScreen("n2: ", "the run's log")

        try terminal.keys("2", "Home", "Enter", "BSpace", "1", "2", "0", "Enter")
        try await terminal.expectScreen("labsteps/default: pause set", "a long pause")
        try terminal.keys("c", "y")
        try await terminal.expectScreen(column("labsteps/labsteps-two", 29) + "running   n1 running, n2 running", "the second run reaches its sleep", seconds: 60)
        try terminal.keys("x")
        try await terminal.expectScreen("Cancel run 2 (commands running on its nodes are stopped)? [y/N]", "a cancel asks first")
        let cancelledAt = Date()
        try terminal.keys("y")
        try await terminal.expectScreen("run 2 · labsteps/default r2 · cancelled", "the run is cancelled", seconds: 30)
        #expect(Date().timeIntervalSince(cancelledAt) < 25)
        #expect(try run(2).steps.map(\.status) == [.succeeded, .cancelled, .pending])
        try terminal.keys("q")
        try await terminal.expectScreen("EXIT=0", "q quits")

        let batch = try TmuxSession(
            "crowbar-tui-batch-\(getpid())", width: 100, height: 30, command: "\(tui) --batch \(batchFile.path); echo EXIT=$?; sleep 300")
        try await batch.expectScreen("tui.yml: 1 create · a applies", "the batch preview", seconds: 60)
        try await batch.expectScreen("  ~ deployment.labsteps-one:  → n2", "the selected proposal's changes")
        #expect(try crowbar("proposal", "show", "labsteps", "fromfile").status != 0, "a preview writes nothing")
        try batch.keys("a", "y")
        try await batch.expectScreen("run 3 · labsteps/fromfile r1 · succeeded", "the batch's run shown to its end", seconds: 60)
        try batch.keys("4")
        try await batch.expectScreen("batch 1 (", "the batch screen after the apply")
        try await batch.expectScreen("succeeded, 1 of 1 done", "the batch ended")
        try batch.keys("q")
        try await batch.expectScreen("EXIT=0", "q quits")
        #expect(try crowbar("lab", "down", limit: 120).status == 0)
    }

    /// `text` padded with spaces to `width`: a table cell as the UI draws it.
    func column(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
}

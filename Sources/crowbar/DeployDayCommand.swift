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
            lab up (the nodes register) → allocate each node and give it its admin address → batch apply of the \
            cloud file → a forced re-apply that must change nothing → the verification batch (checks with the \
            openstack client) → a JUnit report (one testcase per barclamp apply, the re-apply and each check, \
            timed), a summary and the timings in --out → lab down unless --keep. Exit code 8 when anything failed; \
            the summary names the failing step, node and output.

            crowbard must serve boot and the package repository on the lab's admin network (crowbard \
            --boot-address 192.168.124.10 --boot-interface crowbar0 --repository DIR); scripts/deploy-day builds \
            the repository and starts crowbard, then runs this.
            """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var labOptions: LabCommand.LabOptions
    @Option(help: "How many lab nodes (the cloud file's node aliases name their MACs).") var nodes = 3
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
        let cloudBatch = try BatchApplier.read(cloud)
        let verificationBatch = try BatchApplier.read(verification)
        let checks = try verifierChecks()
        try prepareOutputFolder()
        let lab = labOptions.lab
        var day = DeployDay()

        var cloudApplied = false
        await day.phase("lab up") { _ in
            let labNodes = try await LabCommand.startNodes(nodes, lab: lab, authorizedKey: nil, client: client)
            try await allocate(labNodes, lab: lab, client: client)
        }
        if day.failures == 0 {
            await day.phase("cloud apply") { day in
                try await BatchApplier(client: client).apply(cloudBatch, force: false) { applied in
                    try BatchReportLine(applied).append(to: path("apply.jsonl"))
                    day.cases.append(DeployDayReport.applyCase(applied))
                }
            }
            cloudApplied = day.failures == 0
        }
        if cloudApplied {
            print("\n== re-apply of the whole cloud (must change nothing; log in \(path("reapply.log")))")
            var reapplied: [AppliedProposal] = []
            let started = ContinuousClock.now
            await day.phase("no-op re-apply") { _ in
                try Data().write(to: URL(fileURLWithPath: path("reapply.log")))
                let log = try FileHandle(forWritingTo: URL(fileURLWithPath: path("reapply.log")))
                defer { try? log.close() }
                try await BatchApplier(client: client, output: log).apply(cloudBatch, force: true) { applied in
                    try BatchReportLine(applied).append(to: path("reapply.jsonl"))
                    reapplied.append(applied)
                }
            }
            day.cases.append(DeployDayReport.reapplyCase(reapplied, seconds: Self.seconds(since: started)))
            print("\n== verification: the cloud checked with the openstack client")
            await day.phase("verification") { day in
                try await BatchApplier(client: client).apply(verificationBatch, force: true) { applied in
                    try BatchReportLine(applied).append(to: path("verify.jsonl"))
                    day.cases.append(DeployDayReport.applyCase(applied))
                    let log = try await client.request([RunLogLine].self, .GET, "runs/\(applied.run.id)/log")
                    day.cases += DeployDayReport.checkCases(run: applied.run, log: log, checks: checks)
                }
            }
        }

        let report = TestReport(suites: [TestSuite(name: "deploy-day", cases: day.cases)])
        try report.junitXML.write(toFile: path("junit.xml"), atomically: true, encoding: .utf8)
        try (report.summary + "\n").write(toFile: path("summary.txt"), atomically: true, encoding: .utf8)
        let timings = "timings: " + day.timings.map { "\($0.phase) \(String(format: "%.1f", $0.seconds)) s" }.joined(separator: ", ")
        try (timings + "\n").write(toFile: path("timings.txt"), atomically: true, encoding: .utf8)
        print("\n== deploy-day report (\(path("junit.xml")))\n\(report.summary)\n\n== \(timings)")

        if keep {
            print("lab kept: nodes \(lab.layout.nodeName(1))…\(lab.layout.nodeName(nodes)); 'crowbar lab down' removes them")
        } else {
            await lab.down { FileHandle.standardError.write(Data("lab: \($0)\n".utf8)) }
        }
        guard !report.failed else {
            print("deploy-day: FAILED")
            throw ExitCode(RunReport.failedExitCode)
        }
        print("deploy-day: OK")
    }

    /// Allocates every lab node that has no admin address yet and adds the address to its interface.
    private func allocate(_ labNodes: [LabNode], lab: Lab, client: CrowbarClient) async throws {
        for labNode in labNodes {
            var node = try await client.request(Node.self, .GET, "nodes/\(labNode.name)")
            if node.adminAddress == nil { node = try await client.request(Node.self, .POST, "nodes/\(labNode.name)/allocate") }
            guard let address = node.adminAddress else { throw ValidationError("\(labNode.name) was allocated without an admin address") }
            try await lab.addAdminAddress(address, toNode: labNode.name)
            print("\(labNode.name): allocated, admin address \(address)")
        }
    }

    private func verifierChecks() throws -> [String] {
        let file = "\(recipes)/verification/verifier.yml"
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read \(file)") }
        do {
            return DeployDayReport.checks(in: try RecipeParser.parse(text, name: "verification/verifier", file: file))
        } catch { throw BatchApplier.refuse(error) }
    }

    /// Creates --out, removing what an earlier deploy-day wrote there.
    private func prepareOutputFolder() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for name in ["junit.xml", "summary.txt", "timings.txt", "apply.jsonl", "reapply.jsonl", "verify.jsonl", "reapply.log"] {
            try? FileManager.default.removeItem(atPath: path(name))
        }
    }

    private func path(_ name: String) -> String { "\(out)/\(name)" }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = (ContinuousClock.now - start).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    }
}

/// What the deploy-day has found so far: the test cases, the phases' times, and phase failures outside any run.
private struct DeployDay {
    var cases: [TestCase] = []
    var timings: [(phase: String, seconds: Double)] = []

    var failures: Int { cases.filter { $0.failure != nil }.count }

    /// Runs and times a phase; an error that no failed case explains yet (crowbard unreachable, a lab command
    /// failing, a refused batch file) becomes a failed case of its own.
    mutating func phase(_ name: String, _ body: (inout DeployDay) async throws -> Void) async {
        let started = ContinuousClock.now
        let failuresBefore = failures
        do {
            try await body(&self)
        } catch {
            if failures == failuresBefore {
                let message = (error as? ExitCode).map { "stopped with exit code \($0.rawValue) (see the output above)" } ?? "\(error)"
                cases.append(TestCase(className: "deploy-day.phase", name: name, seconds: DeployDayCommand.seconds(since: started),
                                      failure: TestFailure(message: message), note: "failed"))
            }
        }
        timings.append((name, DeployDayCommand.seconds(since: started)))
    }
}

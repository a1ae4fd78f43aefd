import Foundation

/// The deploy-day's test cases, built from the runs it followed: one per applied proposal, one for the no-op
/// re-apply, one per verification check.
public enum DeployDayReport {
    /// The command prefix of a verification check in the verifier recipe (`command: crowbar-verify <check>`).
    public static let checkCommand = "crowbar-verify "

    /// The checks a verifier recipe runs, in its order.
    public static func checks(in recipe: Recipe) -> [String] {
        recipe.resources.compactMap { resource in
            guard case .command(let run, _, _) = resource.kind, run.hasPrefix(checkCommand) else { return nil }
            return String(run.dropFirst(checkCommand.count))
        }
    }

    /// A machine that crowbard powered on through its BMC and that PXE-booted the discovery image: failed unless its
    /// node has disks, a serial number and its BMC's address in its inventory (what the discovery agent reads from the
    /// hardware and, in-band, from the BMC).
    public static func discoveryCase(machine: String, node: Node, seconds: Double) -> TestCase {
        let inventory = node.inventory
        var missing: [String] = []
        if inventory.disks.isEmpty { missing.append("disks") }
        if inventory.serial?.isEmpty ?? true { missing.append("serial number") }
        if inventory.bmcAddress == nil { missing.append("BMC address (read in-band)") }
        if node.state != .discovered { missing.append("state discovered (is \(node.state.rawValue))") }
        return TestCase(
            className: "deploy-day.discovery", name: "discover \(machine)", seconds: seconds,
            failure: missing.isEmpty ? nil : TestFailure(message: "\(node.name) lacks \(missing.joined(separator: ", "))"),
            note: "\(node.name), \(inventory.disks.count) disks, \(inventory.memoryMB ?? 0) MB, BMC \(inventory.bmcAddress ?? "-")")
    }

    /// A machine powered off through its BMC: failed with the BMC's failure, or when it still reports power on.
    public static func powerOffCase(machine: String, result: PowerResult) -> TestCase {
        var failure = result.failure.map { TestFailure(message: "\(result.node): \($0.kind.rawValue): \($0.message)") }
        if failure == nil, result.state != .off { failure = TestFailure(message: "\(result.node) still reports power \(result.state?.rawValue ?? "unknown")") }
        return TestCase(
            className: "deploy-day.power", name: "power off \(machine)", seconds: Double(result.milliseconds) / 1000, failure: failure,
            note: "\(result.node) through its BMC")
    }

    /// The apply of one proposal; failed with the run's failure (step, node, resource, output) unless it succeeded.
    public static func applyCase(_ applied: AppliedProposal) -> TestCase {
        let run = applied.run
        var failure: TestFailure?
        if run.status != .succeeded {
            failure = run.failure.map { TestFailure(message: "\($0)", details: $0.output) }
                ?? TestFailure(message: "run \(run.id) \(run.status.rawValue)")
        }
        return TestCase(
            className: "deploy-day.apply", name: "apply \(applied.barclamp)/\(applied.proposal)", seconds: applied.seconds,
            failure: failure, note: "run \(run.id), \(run.changedCount) changed")
    }

    /// The forced re-apply of the whole cloud: fails when any run failed or any resource changed (listed by node).
    public static func reapplyCase(_ applied: [AppliedProposal], seconds: Double) -> TestCase {
        let changes = applied.flatMap { proposal in
            proposal.run.steps.flatMap { step in
                step.results.flatMap { result in
                    result.resources.filter { $0.status == .changed }.map { "\(proposal.barclamp): [\(result.node)] changed: \($0.resource)" }
                }
            }
        }
        let failed = applied.filter { $0.run.status != .succeeded }
        var failure: TestFailure?
        if !failed.isEmpty {
            failure = TestFailure(
                message: "re-apply failed: " + failed.map { "\($0.barclamp)/\($0.proposal)" }.joined(separator: ", "),
                details: failed.compactMap { $0.run.failure.map { "\($0)\n\($0.output)" } }.joined(separator: "\n"))
        } else if !changes.isEmpty {
            failure = TestFailure(message: "the re-apply changed \(changes.count) resources; a second apply must change nothing",
                                  details: changes.joined(separator: "\n"))
        }
        return TestCase(
            className: "deploy-day.reapply", name: "re-apply changes nothing", seconds: seconds, failure: failure,
            note: "\(applied.count) proposals, \(changes.count) changed")
    }

    /// One case per check the verification run reached, timed from the run log: a check ends at its log line and
    /// starts where the last logged resource before it ended (the node's start for the first).
    public static func checkCases(run: Run, log: [RunLogLine]) -> [TestCase] {
        commandCases(run: run, log: log, command: checkCommand, className: "deploy-day.verify") { checkCaseName($0) }
    }

    /// One case per tempest set the tempest run reached (`crowbar-tempest run <set>`), timed like the checks; its note
    /// is the set's count line.
    public static func tempestSetCases(run: Run, log: [RunLogLine]) -> [TestCase] {
        commandCases(run: run, log: log, command: tempestCommand, className: "deploy-day.tempest") { "tempest \($0)" }
    }

    /// A case per resource `command <command><name>` of the run, named by `caseName(name)`.
    static func commandCases(
        run: Run, log: [RunLogLine], command: String, className: String, caseName: (String) -> String
    ) -> [TestCase] {
        var cases: [TestCase] = []
        let label = "command " + command
        for result in run.steps.flatMap(\.results) {
            var previous = result.startedAt
            for resource in result.resources.sorted(by: { $0.index < $1.index }) {
                let ended = log.first { $0.node == result.node && $0.at >= previous && $0.text.hasSuffix(": " + resource.resource) }?.at
                defer { previous = ended ?? previous }
                guard resource.resource.hasPrefix(label) else { continue }
                let name = String(resource.resource.dropFirst(label.count))
                let failure = resource.status == .failed
                    ? TestFailure(message: "\(caseName(name)) failed on \(result.node)", details: resource.output) : nil
                let lastLine = resource.output.split(separator: "\n").last { !$0.hasPrefix(tempestLinePrefix) && !$0.hasPrefix("failed: ") }
                    .map { String($0.prefix(90)) } ?? ""
                cases.append(TestCase(
                    className: className, name: caseName(name), seconds: ended.map { $0.timeIntervalSince(previous) } ?? 0,
                    failure: failure, output: resource.output, note: lastLine))
            }
        }
        return cases
    }

    /// Failed cases for checks that never ran (an earlier step or phase failed).
    public static func notRunCases(_ checks: [String]) -> [TestCase] {
        let notRun = "not run: an earlier step failed"
        return checks.map { check in
            TestCase(className: "deploy-day.verify", name: checkCaseName(check), seconds: 0,
                     failure: TestFailure(message: notRun), note: notRun)
        }
    }

    static func checkCaseName(_ check: String) -> String { "verify \(check)" }
}

@testable import CrowbarCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@Suite("Deploy-day report")
struct DeployDayReportTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }

    /// A verification run on n1: a package (ok, not logged), then checks token (changed at +3 s), image (failed at
    /// +10 s); the run stopped there.
    func verificationRun() -> (Run, [RunLogLine]) {
        let step = PlanStep(index: 1, barclamp: "verification", proposal: "default", role: "verifier", priority: 10,
                            recipe: "verification/verifier", nodes: ["n1"])
        let resources = [
            ResourceResult(index: 1, resource: "package python3-openstackclient", status: .ok, output: ""),
            ResourceResult(index: 2, resource: "command crowbar-verify token", status: .changed, output: "token: expires soon\nproject: p1"),
            ResourceResult(index: 3, resource: "command crowbar-verify image", status: .failed, output: "image <cirros> & \u{1}broken"),
        ]
        let result = NodeApplyResult(node: "n1", succeeded: false, resources: resources, startedAt: at(0), finishedAt: at(10))
        let run = Run(id: 29, barclamp: "verification", proposal: "default", revision: 1, checkMode: false, status: .failed,
                      createdAt: at(0), startedAt: at(0), finishedAt: at(10),
                      failure: RunFailure(step: 1, node: "n1", resource: "command crowbar-verify image", message: "exit status 1", output: "broken"),
                      steps: [RunStep(plan: step, status: .failed, results: [result])])
        let log = [
            RunLogLine(sequence: 1, at: at(1), step: 1, node: "n1", text: "token: expires soon"),
            RunLogLine(sequence: 2, at: at(3), step: 1, node: "n1", text: "changed: command crowbar-verify token"),
            RunLogLine(sequence: 3, at: at(10), step: 1, node: "n1", text: "failed: command crowbar-verify image"),
        ]
        return (run, log)
    }

    @Test func checksAreTimedFromTheLogAndUnreachedChecksFailAsNotRun() {
        let (run, log) = verificationRun()
        var day = DeployDay()
        day.add(DeployDayReport.checkCases(run: run, log: log))
        let cases = day.report(checks: ["token", "image", "server"]).suites[0].cases
        #expect(cases.map(\.name) == ["verify token", "verify image", "verify server"])
        #expect(cases.map(\.seconds) == [3, 7, 0])
        #expect(cases[0].failure == nil)
        #expect(cases[0].note == "project: p1")
        #expect(cases[1].failure?.message == "verify image failed on n1")
        #expect(cases[1].failure?.details.contains("broken") == true)
        #expect(cases[2].failure?.message == "not run: an earlier step failed")
    }

    @Test func theShippedVerifierRecipeListsItsChecksInOrder() throws {
        let file = Fixtures.repositoryRoot.appendingPathComponent("recipes/verification/verifier.yml").path
        let recipe = try RecipeParser.parse(try String(contentsOfFile: file, encoding: .utf8), name: "verification/verifier", file: file)
        let checks = DeployDayReport.checks(in: recipe)
        let commandLabels = recipe.resources.map(\.kind.label).filter { $0.hasPrefix("command crowbar-verify") }
        #expect(checks.map { "command crowbar-verify \($0)" } == commandLabels)
        #expect(checks.count >= 10 && checks.first == "token" && checks.contains("guests"))
        #expect(Set(checks).count == checks.count)
    }

    @Test func aFailedApplyNamesStepNodeResourceAndOutput() {
        let (run, _) = verificationRun()
        let test = DeployDayReport.applyCase(AppliedProposal(barclamp: "verification", proposal: "default", seconds: 12.5, run: run))
        #expect(test.name == "apply verification/default")
        #expect(test.failure?.message == "step 1 on n1, command crowbar-verify image: exit status 1")
        #expect(test.failure?.details == "broken")
        #expect(test.note == "run 29, 1 changed")
        var cancelled = run
        cancelled.status = .cancelled
        cancelled.failure = nil
        let stopped = DeployDayReport.applyCase(AppliedProposal(barclamp: "verification", proposal: "default", seconds: 1, run: cancelled))
        #expect(stopped.failure?.message == "run 29 cancelled")
    }

    @Test func aReapplyThatChangesAnythingFailsAndListsTheChanges() {
        var (run, _) = verificationRun()
        run.status = .succeeded
        run.failure = nil
        let changed = DeployDayReport.reapplyCase([AppliedProposal(barclamp: "verification", proposal: "default", seconds: 1, run: run)], seconds: 1)
        #expect(changed.failure?.message == "the re-apply changed 1 resources; a second apply must change nothing")
        #expect(changed.failure?.details == "verification: [n1] changed: command crowbar-verify token")
        run.steps[0].results[0].resources = run.steps[0].results[0].resources.map { var r = $0; r.status = .ok; return r }
        let quiet = DeployDayReport.reapplyCase([AppliedProposal(barclamp: "verification", proposal: "default", seconds: 1, run: run)], seconds: 1)
        #expect(quiet.failure == nil)
        #expect(quiet.note == "1 proposals, 0 changed")
        let (failedRun, _) = verificationRun()
        let failed = DeployDayReport.reapplyCase([AppliedProposal(barclamp: "verification", proposal: "default", seconds: 1, run: failedRun)], seconds: 1)
        #expect(failed.failure?.message == "re-apply failed: verification/default")
        #expect(failed.failure?.details == "step 1 on n1, command crowbar-verify image: exit status 1\nbroken")
    }

    @Test func junitXMLIsWellFormedAndCountsFailures() throws {
        let (run, log) = verificationRun()
        let cases = DeployDayReport.checkCases(run: run, log: log) + DeployDayReport.notRunCases(["server"])
        let report = TestReport(suites: [TestSuite(name: "deploy-day \"lab\"", cases: cases)])
        #expect(report.failed)
        let xml = report.junitXML
        #expect(xml.contains("<testsuite name=\"deploy-day &quot;lab&quot;\" tests=\"3\" failures=\"2\" skipped=\"0\" time=\"10.0\">"))
        #expect(xml.contains("image &lt;cirros&gt; &amp; broken"))
        let parser = XMLParser(data: Data(xml.utf8))
        let counter = ElementCounter()
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(counter.counts["testcase"] == 3)
        #expect(counter.counts["failure"] == 2)
    }

    @Test func theSummaryShowsFailuresWithTheirDetails() {
        let (run, log) = verificationRun()
        let long = TestCase(className: "deploy-day.apply", name: "apply a-barclamp-with-a-long-name/and-a-long-proposal", seconds: 1)
        let summary = TestReport(suites: [TestSuite(name: "d", cases: DeployDayReport.checkCases(run: run, log: log) + [long])]).summary
        let lines = summary.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("ok       verify token"))
        #expect(lines[0].contains("3.0 s  project: p1"))
        #expect(lines[1].hasPrefix("FAILED   verify image"))
        #expect(lines[2] == "         | verify image failed on n1")
        #expect(lines[3].hasPrefix("         | image <cirros>"))
        #expect(lines[4].contains("\(long.name)  ") && lines[4].hasSuffix("1.0 s  "))
        #expect(lines[0].firstRange(of: " 3.0 s")?.lowerBound.utf16Offset(in: lines[0]) == lines[4].firstRange(of: " 1.0 s")?.lowerBound.utf16Offset(in: lines[4]))
    }

    /// A tempest run's log on n1: a passing, a skipped (with its reason) and a failing test (with a traceback), the
    /// set's count line, and lines of other resources between them.
    func tempestLog() -> [RunLogLine] {
        [
            "crowbar-tempest: smoke ok 1.50 tempest.api.network.test_networks.NetworksTest.test_list_networks",
            "changed: template /usr/local/sbin/crowbar-tempest",
            "crowbar-tempest: smoke skip 0.00 tempest.api.compute.test_x.XTest.test_y",
            "crowbar-tempest: smoke | Feature x is not enabled",
            "crowbar-tempest: smoke | (second line)",
            "crowbar-tempest: smoke fail 12.25 tempest.scenario.test_z.ZTest.test_w",
            "crowbar-tempest: smoke | Traceback (most recent call last):",
            "crowbar-tempest: smoke | AssertionError: 503 != 200",
            "crowbar-tempest: smoke | garbled",
            "crowbar-tempest: smoke maybe",
            "tempest smoke: 1 passed, 1 failed, 1 skipped in 20 s",
        ].enumerated().map { RunLogLine(sequence: Int64($0.offset + 1), at: at(Double($0.offset)), step: 1, node: "n1", text: $0.element) }
    }

    @Test func tempestLinesBecomeOneCasePerTestInABriefSuite() throws {
        let cases = DeployDayReport.tempestCases(log: tempestLog())
        #expect(cases.map(\.name) == [
            "tempest.api.network.test_networks.NetworksTest.test_list_networks", "tempest.api.compute.test_x.XTest.test_y",
            "tempest.scenario.test_z.ZTest.test_w",
        ])
        #expect(cases.map(\.className) == ["tempest.smoke", "tempest.smoke", "tempest.smoke"])
        #expect(cases.map(\.seconds) == [1.5, 0, 12.25])
        #expect(cases[0].failure == nil && cases[0].skipped == nil)
        #expect(cases[1].skipped == "Feature x is not enabled" && cases[1].failure == nil)
        #expect(cases[2].failure?.message == "garbled")
        #expect(cases[2].failure?.details == "Traceback (most recent call last):\nAssertionError: 503 != 200\ngarbled")
        var day = DeployDay()
        day.addTempest(cases)
        let report = day.report(checks: [])
        #expect(report.suites.map(\.name) == ["deploy-day", "tempest"])
        #expect(report.junitXML.contains("<testsuite name=\"tempest\" tests=\"3\" failures=\"1\" skipped=\"1\""))
        #expect(report.junitXML.contains("<skipped message=\"Feature x is not enabled\"/>"))
        let summary = report.summary.split(separator: "\n")
        #expect(summary.first?.hasPrefix("FAILED   tempest.scenario.test_z.ZTest.test_w") == true)
        #expect(!report.summary.contains("test_list_networks") && !report.summary.contains("test_y"))
    }

    /// A failure that passes when run again alone (`smoke-retry`) is a pass noted as flaky, the first failure kept in
    /// its output; a class fixture's failure counts as passed when every test of the class passed again; a test that
    /// fails twice fails the report.
    @Test func aTestThatPassesWhenRunAgainIsFlakyAndOneThatFailsTwiceFails() {
        let lines = [
            "crowbar-tempest: smoke fail 0.00 tearDownClass (tempest.api.identity.admin.v3.test_domains.DomainsTestJSON)",
            "crowbar-tempest: smoke | ConnectionResetError: [Errno 104] Connection reset by peer",
            "crowbar-tempest: smoke fail 3.00 tempest.api.compute.test_a.ATest.test_b",
            "crowbar-tempest: smoke | AssertionError: 500 != 200",
            "tempest smoke: 0 passed, 2 failed, 0 skipped in 9 s",
            "crowbar-tempest: smoke-retry ok 1.00 tempest.api.identity.admin.v3.test_domains.DomainsTestJSON.test_create_domain",
            "crowbar-tempest: smoke-retry ok 1.00 tempest.api.identity.admin.v3.test_domains.DomainsTestJSON.test_list_domains",
            "crowbar-tempest: smoke-retry fail 3.00 tempest.api.compute.test_a.ATest.test_b",
            "crowbar-tempest: smoke-retry | AssertionError: 500 != 200",
        ]
        let cases = DeployDayReport.tempestCases(
            log: lines.enumerated().map { RunLogLine(sequence: Int64($0.offset + 1), at: at(Double($0.offset)), step: 1, node: "n1", text: $0.element) })
        let fixture = cases[0]
        #expect(fixture.failure == nil)
        #expect(fixture.note == "flaky: failed (ConnectionResetError: [Errno 104] Connection reset by peer), then passed when run again alone")
        #expect(fixture.output.contains("Connection reset by peer"))
        #expect(cases[1].failure != nil, "failed again: still a failure")
        var day = DeployDay()
        day.addTempest(cases)
        let report = day.report(checks: [])
        #expect(report.failed)
        #expect(report.summary.contains("ok       tearDownClass (tempest.api.identity.admin.v3.test_domains.DomainsTestJSON)"))
        var flakyOnly = DeployDay()
        flakyOnly.addTempest(cases.filter { !$0.name.hasSuffix("test_b") })
        #expect(!flakyOnly.report(checks: []).failed, "a flaky test alone does not fail the deploy-day")
    }

    @Test func aPhaseFailureWithoutAFailedCaseBecomesACase() async {
        struct Unreachable: Error, CustomStringConvertible { var description: String { "crowbard unreachable" } }
        var day = DeployDay()
        await day.phase("lab up + allocate") { _ in }
        await day.phase("cloud apply") { day in
            day.add(TestCase(className: "deploy-day.apply", name: "apply a/default", seconds: 1, failure: TestFailure(message: "step 1: exit 1")))
            throw Unreachable()
        }
        await day.phase("verification") { _ in throw Unreachable() }
        let report = day.report(checks: ["token"])
        #expect(report.suites[0].cases.map(\.name) == ["apply a/default", "verification", "verify token"])
        #expect(report.suites[0].cases[1].failure?.message == "crowbard unreachable")
        #expect(report.suites[0].cases[2].failure?.message == "not run: an earlier step failed")
        #expect(day.timings.map(\.phase) == ["lab up + allocate", "cloud apply", "verification"])
        #expect(day.timingsLine.hasPrefix("timings: lab up + allocate 0.0 s, cloud apply "))
        #expect(day.timingsLine.contains(", total "))
    }
}

/// Counts the XML elements a parser meets.
private final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
    }
}

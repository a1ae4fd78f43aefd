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
        let cases = DeployDayReport.checkCases(run: run, log: log, checks: ["token", "image", "server"])
        #expect(cases.map(\.name) == ["verify token", "verify image", "verify server"])
        #expect(cases.map(\.seconds) == [3, 7, 0])
        #expect(cases[0].failure == nil)
        #expect(cases[0].note == "project: p1")
        #expect(cases[1].failure?.message == "check image failed on n1")
        #expect(cases[1].failure?.details.contains("broken") == true)
        #expect(cases[2].failure?.message == "not run: an earlier step failed")
    }

    @Test func theShippedVerifierRecipeListsItsChecksInOrder() throws {
        let file = Fixtures.repositoryRoot.appendingPathComponent("recipes/verification/verifier.yml").path
        let recipe = try RecipeParser.parse(try String(contentsOfFile: file, encoding: .utf8), name: "verification/verifier", file: file)
        let checks = DeployDayReport.checks(in: recipe)
        #expect(checks.first == "token")
        #expect(checks.contains("server") && checks.contains("dashboard"))
        #expect(Set(checks).count == checks.count)
        #expect(!checks.contains { $0.contains(" ") })
    }

    @Test func aFailedApplyNamesStepNodeResourceAndOutput() {
        let (run, _) = verificationRun()
        let test = DeployDayReport.applyCase(AppliedProposal(barclamp: "verification", proposal: "default", seconds: 12.5, run: run))
        #expect(test.name == "apply verification/default")
        #expect(test.failure?.message == "step 1 on n1, command crowbar-verify image: exit status 1")
        #expect(test.failure?.details == "broken")
        #expect(test.note == "run 29, 1 changed")
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
    }

    @Test func junitXMLIsWellFormedAndCountsFailures() throws {
        let (run, log) = verificationRun()
        let cases = DeployDayReport.checkCases(run: run, log: log, checks: ["token", "image", "server"])
        let report = TestReport(suites: [TestSuite(name: "deploy-day \"lab\"", cases: cases)])
        #expect(report.failed)
        let xml = report.junitXML
        #expect(xml.contains("<testsuite name=\"deploy-day &quot;lab&quot;\" tests=\"3\" failures=\"2\" time=\"10.0\">"))
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
        let summary = TestReport(suites: [TestSuite(name: "d", cases: DeployDayReport.checkCases(run: run, log: log, checks: ["token", "image"]))]).summary
        let lines = summary.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("ok       verify token"))
        #expect(lines[0].contains("3.0 s  project: p1"))
        #expect(lines[1].hasPrefix("FAILED   verify image"))
        #expect(lines[2] == "         | check image failed on n1")
        #expect(lines[3].hasPrefix("         | image <cirros>"))
    }
}

/// Counts the XML elements a parser meets.
private final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
    }
}

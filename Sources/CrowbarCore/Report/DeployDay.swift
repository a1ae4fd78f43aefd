/// What a deploy-day has found so far: its test cases and the time each phase took. A phase that fails without a
/// failed case to explain it (crowbard unreachable, a lab command failing, a refused batch file) adds a failed case
/// of its own, so every failure reaches the report.
public struct DeployDay: Sendable {
    public private(set) var cases: [TestCase] = []
    /// Tempest's own cases, one per test (their own suite in the report).
    public private(set) var tempestCases: [TestCase] = []
    public private(set) var timings: [(phase: String, seconds: Double)] = []

    public init() {}

    /// The number of failed cases.
    public var failures: Int { cases.filter { $0.failure != nil }.count }

    public mutating func add(_ test: TestCase) { cases.append(test) }

    public mutating func add(_ tests: [TestCase]) { cases += tests }

    public mutating func addTempest(_ tests: [TestCase]) { tempestCases += tests }

    /// Runs and times a phase; `body` records its cases through the deploy-day it is given.
    public mutating func phase(_ name: String, _ body: (inout DeployDay) async throws -> Void) async {
        let started = ContinuousClock.now
        let failuresBefore = failures
        var stopped: (any Error)?
        do { try await body(&self) } catch { stopped = error }
        let seconds = (ContinuousClock.now - started).inSeconds
        if let stopped, failures == failuresBefore {
            cases.append(TestCase(
                className: "deploy-day.phase", name: name, seconds: seconds, failure: TestFailure(message: "\(stopped)"), note: "phase stopped"))
        }
        timings.append((name, seconds))
    }

    /// The report: the cases, then every check of `checks` that no case covers, failed as not run; tempest's cases in
    /// a brief suite of their own.
    public func report(checks: [String]) -> TestReport {
        let missing = checks.filter { check in !cases.contains { $0.name == DeployDayReport.checkCaseName(check) } }
        var suites = [TestSuite(name: "deploy-day", cases: cases + DeployDayReport.notRunCases(missing))]
        if !tempestCases.isEmpty { suites.append(TestSuite(name: "tempest", cases: tempestCases, brief: true)) }
        return TestReport(suites: suites)
    }

    /// `timings: phase 1.2 s, …, total 3.4 s`.
    public var timingsLine: String {
        let phases = timings.map { "\($0.phase) \(TestReport.seconds($0.seconds)) s" }
        return "timings: " + (phases + ["total \(TestReport.seconds(timings.reduce(0) { $0 + $1.seconds })) s"]).joined(separator: ", ")
    }
}

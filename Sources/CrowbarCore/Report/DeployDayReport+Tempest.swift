import Foundation

extension DeployDayReport {
    /// The command prefix of a tempest set in the tempest recipe (`command: crowbar-tempest run <set>`).
    public static let tempestCommand = "crowbar-tempest run "
    /// The prefix of crowbar-tempest's lines: `<set> ok|fail|skip <seconds> <test id>` per test, `<set> | <text>` for the
    /// reason of the test before.
    static let tempestLinePrefix = "crowbar-tempest: "

    /// One case per test crowbar-tempest reported in a run's log, class `tempest.<set>`, named by its test id: failed
    /// with the reason lines that follow it, or skipped with the first of them.
    public static func tempestCases(log: [RunLogLine]) -> [TestCase] {
        var cases: [TestCase] = []
        var reasons: [String] = []
        func closeLast() {
            guard var last = cases.popLast() else { return }
            if last.failure != nil {
                last.failure?.details = reasons.joined(separator: "\n")
                last.failure?.message = reasons.last.map { String($0.prefix(200)) } ?? "failed"
            } else if last.skipped != nil {
                last.skipped = reasons.first ?? "skipped"
            }
            cases.append(last)
            reasons = []
        }
        for line in log where line.text.hasPrefix(tempestLinePrefix) {
            let fields = line.text.dropFirst(tempestLinePrefix.count).split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 2 else { continue }
            if fields[1] == "|" {
                reasons.append(fields.dropFirst(2).joined(separator: " "))
                continue
            }
            guard fields.count == 4, let seconds = Double(fields[2]) else { continue }
            closeLast()
            let status = fields[1]
            cases.append(TestCase(
                className: "tempest.\(fields[0])", name: String(fields[3]), seconds: seconds,
                failure: status == "fail" ? TestFailure(message: "failed") : nil,
                skipped: status == "skip" ? "skipped" : nil))
        }
        closeLast()
        return reconcilingRetries(cases)
    }

    /// A test that failed in a set and passed when crowbar-tempest ran it again alone (set `<set>-retry`) is kept as
    /// passed and noted as flaky, its first failure in its output; one that failed again stays failed.
    static func reconcilingRetries(_ cases: [TestCase]) -> [TestCase] {
        var cases = cases
        for index in cases.indices {
            guard let failure = cases[index].failure else { continue }
            let retrySet = cases[index].className + "-retry", name = cases[index].name
            let retried = cases.filter { $0.className == retrySet && ran(name, as: $0.name) }
            guard !retried.isEmpty, retried.allSatisfy({ $0.failure == nil && $0.skipped == nil }) else { continue }
            cases[index].failure = nil
            cases[index].note = "flaky: failed (\(failure.message)), then passed when run again alone"
            cases[index].output = failure.details
        }
        return cases
    }

    /// Whether a retry's test `retried` ran the failed `name`: the same test, or one of the class whose fixture
    /// (`tearDownClass (tempest.x.Y)`) failed.
    private static func ran(_ name: String, as retried: String) -> Bool {
        if retried == name { return true }
        guard let fixture = name.wholeMatch(of: /\w+Class \((.+)\)/) else { return false }
        return retried.hasPrefix(fixture.output.1 + ".")
    }
}

import Foundation

/// Timed test cases grouped in suites, written as JUnit XML (what CI systems read) and as a plain summary.
public struct TestReport: Sendable, Hashable {
    public var suites: [TestSuite]

    public init(suites: [TestSuite]) { self.suites = suites }

    /// Whether any case failed.
    public var failed: Bool { suites.contains { $0.cases.contains { $0.failure != nil } } }

    /// The report in JUnit's XML format: one `<testsuite>` per suite, failures with their details.
    public var junitXML: String {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
        for suite in suites {
            let failures = suite.cases.filter { $0.failure != nil }.count
            let skipped = suite.cases.filter { $0.skipped != nil }.count
            let seconds = suite.cases.reduce(0) { $0 + $1.seconds }
            xml += "  <testsuite name=\(Self.attribute(suite.name)) tests=\"\(suite.cases.count)\" failures=\"\(failures)\" skipped=\"\(skipped)\""
                + " time=\"\(Self.seconds(seconds))\">\n"
            for test in suite.cases {
                xml += "    <testcase classname=\(Self.attribute(test.className)) name=\(Self.attribute(test.name)) time=\"\(Self.seconds(test.seconds))\">\n"
                if let failure = test.failure {
                    xml += "      <failure message=\(Self.attribute(failure.message))>\(Self.escape(failure.details))</failure>\n"
                } else if let reason = test.skipped {
                    xml += "      <skipped message=\(Self.attribute(reason))/>\n"
                }
                if !test.output.isEmpty { xml += "      <system-out>\(Self.escape(test.output))</system-out>\n" }
                xml += "    </testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    /// One line per case (of a brief suite, per failed or noted case): `ok`, `skipped` or `FAILED`, the name, the time and the
    /// note; a failure's message and details follow it, indented, unless the note already says it all.
    public var summary: String {
        let tests = suites.flatMap { suite in suite.brief ? suite.cases.filter { $0.failure != nil || !$0.note.isEmpty } : suite.cases }
        let width = max(30, (tests.map(\.name.count).max() ?? 0) + 2)
        return tests.map { test in
            let status = test.failure != nil ? "FAILED" : test.skipped != nil ? "skipped" : "ok"
            let time = test.seconds > 0 || test.failure == nil ? String(format: "%7.1f s", test.seconds) : "      - "
            var line = "\(status.padding(toLength: 8, withPad: " ", startingAt: 0)) \(test.name.padding(toLength: width, withPad: " ", startingAt: 0)) \(time)  \(test.note)"
            if let failure = test.failure, failure.message != test.note || !failure.details.isEmpty {
                line += "\n" + ([failure.message] + failure.details.split(separator: "\n").suffix(20).map(String.init))
                    .map { "         | \($0)" }.joined(separator: "\n")
            }
            return line
        }.joined(separator: "\n")
    }

    static func seconds(_ value: Double) -> String { String(format: "%.1f", value) }

    /// `text` as a quoted XML attribute value.
    static func attribute(_ text: String) -> String { "\"" + escape(text).replacingOccurrences(of: "\"", with: "&quot;") + "\"" }

    /// `text` safe as XML character data: markup escaped, characters XML 1.0 forbids (most control characters) dropped.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: continue
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

/// A named group of test cases.
public struct TestSuite: Sendable, Hashable {
    public var name: String
    public var cases: [TestCase]
    /// Whether the summary lists only its failed cases (a suite of hundreds, such as tempest's).
    public var brief: Bool

    public init(name: String, cases: [TestCase], brief: Bool = false) {
        self.name = name
        self.cases = cases
        self.brief = brief
    }
}

/// One timed test case.
public struct TestCase: Sendable, Hashable {
    /// JUnit's class name: the kind of case (`deploy-day.apply`, `deploy-day.verify`, …).
    public var className: String
    public var name: String
    public var seconds: Double
    public var failure: TestFailure?
    /// Why the case did not run (JUnit's `<skipped>`); nil when it ran.
    public var skipped: String?
    /// What the case printed, kept in the XML.
    public var output: String
    /// One line for the summary.
    public var note: String

    public init(
        className: String, name: String, seconds: Double, failure: TestFailure? = nil, skipped: String? = nil, output: String = "",
        note: String = ""
    ) {
        self.className = className
        self.name = name
        self.seconds = seconds
        self.failure = failure
        self.skipped = skipped
        self.output = output
        self.note = note
    }
}

/// Why a test case failed: a one-line message and the details (where, and what was printed).
public struct TestFailure: Sendable, Hashable {
    public var message: String
    public var details: String

    public init(message: String, details: String = "") {
        self.message = message
        self.details = details
    }
}

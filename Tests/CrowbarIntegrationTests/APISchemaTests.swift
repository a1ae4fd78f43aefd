import Foundation
import Testing

/// The venv `scripts/install-deps.sh` makes for schemathesis.
private let schemathesis = (ProcessInfo.processInfo.environment["CROWBAR_SCHEMATHESIS_VENV"] ?? "/var/cache/crowbar/schemathesis-venv")
    + "/bin/schemathesis"

/// schemathesis (PyPI) against the real crowbard with docs/openapi.yaml, in a network namespace of their own
/// (`Tests/Fixtures/api/schemathesis.sh`): examples, coverage, fuzzing and stateful phases, 20 examples per operation,
/// a fixed seed. No 5xx, no response the spec does not describe, no schema-violating request accepted.
@Suite(
    "API against its OpenAPI spec",
    .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: schemathesis), "needs root (ip netns) and the schemathesis venv"))
struct APISchemaTests {
    @Test(.timeLimit(.minutes(5)))
    func theRunningAPIAnswersAsItsSpecSays() throws {
        let script = Fixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/api/schemathesis.sh").path
        let result = try CommandResult.run(
            "/bin/bash", [script, try Binaries().crowbard.path, Fixtures.repositoryRoot.path, "20"],
            environment: ProcessInfo.processInfo.environment, limit: 280)
        #expect(result.status == 0, "\(result.output.suffix(8000))\(result.errors.suffix(2000))")
        let selected = result.output.firstMatch(of: /Selected: (\d+)\//).flatMap { Int($0.output.1) }
        let tested = result.output.firstMatch(of: /Tested: (\d+)/).flatMap { Int($0.output.1) }
        #expect(selected ?? 0 > 40 && tested == selected, "every operation but the event stream was tested")
    }
}

import Testing

@testable import CrowbarCore

@Suite struct CrowbarErrorTests {
    @Test func typedErrorsSayTheirCodeFieldAndCause() {
        let illegal = IllegalTransition(node: "n1", from: .discovered, to: .ready).crowbarError
        #expect(illegal.code == .illegalTransition)
        #expect(illegal.context["field"] == "state")
        #expect(illegal.cause is IllegalTransition)

        let failed = ProposalValidationError(issues: [
            ProposalIssue(field: "deployment.ntp-server", message: "needs at least 1 node"), ProposalIssue(field: "requires", message: "x"),
        ]).crowbarError
        #expect(failed.code == .validationFailed)
        #expect(failed.context["field"] == "deployment.ntp-server")
        #expect(failed.issues.map { $0["field"] } == ["deployment.ntp-server", "requires"])

        let definition = DefinitionError(location: SourceLocation(file: "cloud.yml", line: 2, column: 5), key: "nodes", message: "no node")
        #expect(definition.crowbarError.code.name == "invalid_definition")
        #expect(definition.crowbarError.message == "cloud.yml:2:5: nodes: no node")
        #expect(definition.crowbarError.context == ["field": "nodes", "file": "cloud.yml"])
    }

    @Test func aCrowbarErrorIsItsOwnShape() {
        let error: any Error = CrowbarError(.notFound, "no node named n9", context: ["node": "n9"])
        #expect((error as? any CrowbarErrorConvertible)?.crowbarError.code == .notFound)
        #expect("\(error)" == "no node named n9")
    }
}

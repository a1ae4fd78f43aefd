/// The model's typed errors in the one shape: each keeps its own type (callers match on it) and says its code and
/// the field at fault here.
extension IllegalTransition: CrowbarErrorConvertible {
    public var crowbarError: CrowbarError { CrowbarError(.illegalTransition, description, cause: self, context: ["field": "state"]) }
}

extension IllegalProposalTransition: CrowbarErrorConvertible {
    public var crowbarError: CrowbarError { CrowbarError(.illegalTransition, description, cause: self, context: ["field": "status"]) }
}

extension AddressExhausted: CrowbarErrorConvertible {
    public var crowbarError: CrowbarError { CrowbarError(.addressExhausted, description, cause: self, context: ["network": network]) }
}

extension ProposalIssue: CrowbarErrorConvertible {
    public var crowbarError: CrowbarError { CrowbarError(.invalidAttribute, description, cause: self, context: ["field": field]) }
}

extension ProposalValidationError: CrowbarErrorConvertible {
    public var crowbarError: CrowbarError {
        CrowbarError(
            .validationFailed, description, cause: self, context: issues.first.map { ["field": $0.field] } ?? [:],
            issues: issues.map { ["field": $0.field, "message": $0.message] })
    }
}

extension UnknownBarclampError: CrowbarErrorConvertible {
    public var crowbarError: CrowbarError {
        CrowbarError(.unknownBarclamp, "a stored proposal names \(description); restore its barclamp file", cause: self)
    }
}

extension NetworkModelError: CrowbarErrorConvertible {
    public var crowbarError: CrowbarError { CrowbarError(.invalidNetwork, description, cause: self, context: ["field": field]) }
}

extension DefinitionError: CrowbarErrorConvertible {
    public var crowbarError: CrowbarError {
        CrowbarError(
            .invalidDefinition, description, cause: self,
            context: key.isEmpty ? ["file": location.file] : ["field": key, "file": location.file])
    }
}


/// One attribute change in `PATCH /api/v1/proposals/{barclamp}/{name}`: a JSON `value`,
/// or operator `text` read according to the attribute's type.
public struct AttributeEdit: Codable, Sendable, Hashable {
    public var path: String
    public var value: AttributeValue?
    public var text: String?

    public init(path: String, value: AttributeValue? = nil, text: String? = nil) {
        self.path = path
        self.value = value
        self.text = text
    }

    /// The content with this edit applied, type-checked against the barclamp's schema.
    public func apply(to content: ProposalContent, barclamp: Barclamp) throws -> ProposalContent {
        switch (value, text) {
        case (let value?, nil): try ProposalEditor.set(path, to: value, in: content, barclamp: barclamp)
        case (nil, let text?): try ProposalEditor.set(path, text: text, in: content, barclamp: barclamp)
        default: throw ProposalIssue(field: path, message: "give exactly one of 'value' or 'text'")
        }
    }
}

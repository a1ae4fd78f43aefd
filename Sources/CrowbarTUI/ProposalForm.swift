import CrowbarCore
import Foundation

/// One line of a proposal's form.
public enum FormRow: Sendable, Hashable {
    /// An attribute that takes one value: a scalar, or a list or map edited as JSON.
    case attribute(path: String, schema: AttributeSchema)
    case role(Role)

    /// The form's lines for a barclamp: its attributes by path (objects opened into their properties), then its roles
    /// in run order.
    public static func rows(of barclamp: Barclamp) -> [FormRow] {
        func leaves(_ schema: AttributeSchema, path: [String]) -> [FormRow] {
            guard case .object(let properties) = schema.kind else {
                return [.attribute(path: path.joined(separator: "."), schema: schema)]
            }
            return properties.keys.sorted().flatMap { leaves(properties[$0]!, path: path + [$0]) }
        }
        return leaves(barclamp.schema, path: []) + barclamp.roles.sorted { ($0.priority, $0.name) < ($1.priority, $1.name) }.map(FormRow.role)
    }
}

/// The form of one opened proposal: its attributes typed by the barclamp's schema (booleans toggle, allowed values are
/// picked, other values typed and checked before they are sent, secrets masked until revealed) and its roles' nodes
/// picked from the known nodes; the plan or diff shown over it on request.
public struct ProposalForm: Sendable, Hashable {
    /// A panel over the form until the next key.
    public enum Panel: Sendable, Hashable {
        case plan(Plan)
        case diff([ProposalChange])
    }

    public let proposal: ProposalRef
    public var cursor = 0
    public var top = 0
    /// The text being typed for the attribute at the cursor.
    public private(set) var editing: String?
    /// Why the typed value was refused: the schema's message.
    public private(set) var error: String?
    public private(set) var picker: Picker?
    /// Whether secrets are shown in clear (after crowbard sent them).
    public private(set) var revealed = false
    public var panel: Panel?

    public init(proposal: ProposalRef) { self.proposal = proposal }

    /// What a key does in the form: answers a request to send, `.close` to go back to the list, or nil.
    public mutating func handle(_ key: Key, proposal: Proposal, barclamp: Barclamp, nodes: [String]) -> FormAction? {
        let rows = FormRow.rows(of: barclamp)
        if panel != nil {
            panel = nil
            return nil
        }
        if picker != nil { return pick(key, proposal: proposal) }
        if editing != nil { return type(key, rows: rows, proposal: proposal, barclamp: barclamp) }
        error = nil
        if let moved = ListNavigation.index(after: key, from: cursor, count: rows.count) {
            cursor = moved
            return nil
        }
        switch key {
        case .enter, .character(" "): return rows.indices.contains(cursor) ? open(rows[cursor], proposal: proposal, nodes: nodes) : nil
        case .character("s"):
            revealed.toggle()
            return revealed ? .request(.reveal(self.proposal)) : nil
        case .character("p"): return .request(.plan(self.proposal))
        case .character("v"): return .request(.diff(self.proposal))
        case .character("c"): return .request(.commit(self.proposal, apply: true, version: proposal.version))
        case .character("C"): return .request(.commit(self.proposal, apply: false, version: proposal.version))
        case .character("t"): return .request(.check(self.proposal))
        case .escape: return .close
        default: break
        }
        return nil
    }

    /// Enter on a row: a boolean flips, allowed values and roles open a picker, anything else starts typing (from the
    /// current value; from nothing for a secret).
    private mutating func open(_ row: FormRow, proposal: Proposal, nodes: [String]) -> FormAction? {
        switch row {
        case .role(let role):
            picker = Picker(target: .role(role.name), options: nodes, chosen: proposal.content.deployment[role.name] ?? [], multiple: true)
        case .attribute(let path, let schema):
            let value = Self.value(at: path, in: proposal.content)
            if case .boolean = schema.kind {
                let current = if case .boolean(let flag)? = value { flag } else { false }
                return .request(.edit(self.proposal, AttributeEdit(path: path, value: .boolean(!current)), version: proposal.version))
            }
            if !schema.choices.isEmpty {
                let current = if case .string(let text)? = value { [text] } else { [String]() }
                picker = Picker(target: .attribute(path), options: schema.choices, chosen: current, multiple: false)
            } else {
                editing = schema.secret ? "" : value.map(Self.editableText) ?? ""
            }
        }
        return nil
    }

    private mutating func pick(_ key: Key, proposal: Proposal) -> FormAction? {
        guard let outcome = picker?.handle(key), let target = picker?.target else { return nil }
        picker = nil
        guard case .chosen(let values) = outcome else { return nil }
        switch target {
        case .role(let role): return .request(.assign(self.proposal, role: role, nodes: values, version: proposal.version))
        case .attribute(let path):
            return .request(.edit(self.proposal, AttributeEdit(path: path, value: .string(values[0])), version: proposal.version))
        case .state: return nil
        }
    }

    /// Typing a value: Enter checks it against the schema and sends it, or keeps the text and shows why it was refused.
    private mutating func type(_ key: Key, rows: [FormRow], proposal: Proposal, barclamp: Barclamp) -> FormAction? {
        guard var text = editing, case .attribute(let path, _) = rows[cursor] else { return nil }
        switch key {
        case .character(let character): text.append(character)
        case .backspace: if !text.isEmpty { text.removeLast() }
        case .escape:
            editing = nil
            error = nil
            return nil
        case .enter:
            let edit = AttributeEdit(path: path, text: text)
            do {
                _ = try edit.apply(to: proposal.content, barclamp: barclamp)
            } catch {
                self.error = "\(error)"
                return nil
            }
            editing = nil
            error = nil
            return .request(.edit(self.proposal, edit, version: proposal.version))
        default: break
        }
        editing = text
        return nil
    }

    static func value(at path: String, in content: ProposalContent) -> AttributeValue? {
        content.attributes.value(at: path.split(separator: ".").map(String.init))
    }

    /// A value as the operator types it: scalars as text, lists and maps as JSON.
    static func editableText(_ value: AttributeValue) -> String {
        switch value {
        case .string(let text): return text
        case .list, .map:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? value.displayText
        default: return value.displayText
        }
    }
}

/// What a key in a proposal's form asks of the UI.
public enum FormAction: Sendable, Hashable {
    case request(TUIRequest)
    /// Back to the list of proposals.
    case close
}

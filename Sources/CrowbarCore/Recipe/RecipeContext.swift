import Mustache
import Synchronization

/// A node as recipe templates see it.
public struct RecipeNode: Sendable, Hashable {
    public var name: String
    public var address: String

    public init(name: String, address: String) {
        self.name = name
        self.address = address
    }
}

/// What crowbard tells every recipe about the admin node.
public struct RecipeAdmin: Sendable, Hashable {
    /// The OpenPGP public key (armored) crowbard signs its offline repository with: `{{admin.repository_key}}`.
    public var repositoryKey: String?

    public init(repositoryKey: String? = nil) { self.repositoryKey = repositoryKey }
}

/// The part of a recipe's context that is the same for every node of a step: `{{barclamp}}`, `{{proposal}}`,
/// `{{attributes.<path>}}` (secrets in clear), `{{#roles.<role>}}{{name}} {{address}}{{/roles.<role>}}` (nodes by role,
/// of this proposal and of every other active one: role names are unique across barclamps), `{{server.<role>.name|address}}`
/// (the first of those nodes by name, for the one-node roles other services connect to; naming a role without nodes
/// fails the compile), `{{barclamps.<barclamp>.<path>}}` (attributes of other barclamps' active proposals) and
/// `{{admin.repository_key}}` (``RecipeAdmin``). Its mustache form is built once and each template text is checked and
/// parsed once, so compiling a step for n nodes costs n renders and no more.
public final class RecipeScope: Sendable {
    public let barclamp: String
    public let proposal: String
    public let attributes: AttributeValue
    public let roles: [String: [RecipeNode]]
    public let barclamps: [String: AttributeValue]
    public let admin: RecipeAdmin
    /// The scope as mustache's dictionaries and arrays. Built in `init` and never changed; it holds only immutable
    /// values (strings, numbers, booleans, arrays and dictionaries of them), so reading it from many tasks is safe.
    nonisolated(unsafe) let mustacheObject: [String: Any]
    /// Texts already checked and parsed, by text and mode.
    private let parsed = Mutex<[TemplateKey: MustacheTemplate]>([:])

    private struct TemplateKey: Hashable {
        var text: String
        var shell: Bool
    }

    public init(
        barclamp: String, proposal: String, attributes: AttributeValue,
        roles: [String: [RecipeNode]] = [:], barclamps: [String: AttributeValue] = [:], admin: RecipeAdmin = RecipeAdmin()
    ) {
        self.barclamp = barclamp
        self.proposal = proposal
        self.attributes = attributes
        self.roles = roles
        self.barclamps = barclamps
        self.admin = admin
        mustacheObject = [
            "barclamp": barclamp, "proposal": proposal, "attributes": attributes.mustacheValue,
            "roles": roles.mapValues { $0.map(\.mustacheValue) },
            "server": roles.compactMapValues { $0.first?.mustacheValue },
            "barclamps": barclamps.mapValues(\.mustacheValue),
            "admin": ["repository_key": admin.repositoryKey ?? ""],
        ]
    }

    /// One template text, checked and parsed (once per scope: the nodes of a step render the same texts). Unknown names
    /// under `attributes.`, `barclamps.`, `node.`, `server.` and `admin.` are errors rather than mustache's silent empty
    /// string, so a typo fails the compile instead of a config file. In `shell` mode (the texts of `command`, `creates`
    /// and `unless`) every `{{name}}` becomes one single-quoted shell word, so no value can end a quote or run a
    /// command; `{{{name}}}` puts a value in as it is, for the rare recipe that splices shell syntax on purpose.
    func template(_ text: String, shell: Bool, location: SourceLocation, key: String) throws(DefinitionError) -> MustacheTemplate {
        let cacheKey = TemplateKey(text: text, shell: shell)
        if let known = parsed.withLock({ $0[cacheKey] }) { return known }
        if shell, let quoted = Self.placeholderInsideQuotes(text) {
            throw DefinitionError(
                location: location, key: key,
                message: "{{\(quoted)}} is inside quotes: in \(key) texts every value is quoted for you, so the quotes around it would show; take them away")
        }
        for match in text.matches(of: /\{\{[{&#^\/]?\s*([A-Za-z0-9_.\-]+)\s*\}?\}\}/) {
            let name = String(match.output.1)
            if !resolves(name) {
                throw DefinitionError(location: location, key: key, message: "template refers to '\(name)', which is not defined")
            }
        }
        let template: MustacheTemplate
        do {
            ShellWordContentType.registered()
            template = try MustacheTemplate(string: "{{% CONTENT_TYPE: \(shell ? ShellWordContentType.name : "TEXT")}}" + text)
        } catch {
            throw DefinitionError(location: location, key: key, message: "malformed template: \(error)")
        }
        parsed.withLock { $0[cacheKey] = template }
        return template
    }

    /// Whether a dotted name that starts at the context root resolves; names outside the checked roots pass.
    func resolves(_ name: String) -> Bool {
        let parts = name.split(separator: ".").map(String.init)
        guard let root = parts.first else { return true }
        switch root {
        case "attributes": return attributes.value(at: Array(parts.dropFirst())) != nil
        case "barclamps":
            guard parts.count > 1, let values = barclamps[parts[1]] else { return false }
            return values.value(at: Array(parts.dropFirst(2))) != nil
        case "node": return parts.count == 2 && ["name", "address"].contains(parts[1])
        case "admin": return parts == ["admin", "repository_key"] && admin.repositoryKey != nil
        case "server":
            return parts.count == 3 && roles[parts[1]]?.isEmpty == false && ["name", "address"].contains(parts[2])
        default: return true
        }
    }
}

/// What a recipe's templates can refer to when compiled for one node: its step's ``RecipeScope`` and
/// `{{node.name}}`, `{{node.address}}`.
public struct RecipeContext: Sendable {
    public var scope: RecipeScope
    public var node: RecipeNode

    public init(scope: RecipeScope, node: RecipeNode) {
        self.scope = scope
        self.node = node
    }

    /// A context with a scope of its own (for a single compile; a step shares one scope across its nodes).
    public init(
        barclamp: String, proposal: String, attributes: AttributeValue, node: RecipeNode,
        roles: [String: [RecipeNode]] = [:], barclamps: [String: AttributeValue] = [:], admin: RecipeAdmin = RecipeAdmin()
    ) {
        self.init(
            scope: RecipeScope(barclamp: barclamp, proposal: proposal, attributes: attributes, roles: roles, barclamps: barclamps, admin: admin),
            node: node)
    }

    /// The context as mustache's dictionaries and arrays: the shared scope plus this node.
    var mustacheObject: [String: Any] {
        var object = scope.mustacheObject
        object["node"] = node.mustacheValue
        return object
    }

    /// Renders one template text (see ``RecipeScope/template(_:shell:location:key:)`` for what is checked).
    func render(_ text: String, location: SourceLocation, key: String, shell: Bool = false) throws(DefinitionError) -> String {
        guard text.contains("{{") else { return text }
        return try scope.template(text, shell: shell, location: location, key: key).render(mustacheObject)
    }
}

/// Mustache's escaping for shell texts: a value becomes one single-quoted word (``Swift/String/shellQuoted``).
struct ShellWordContentType: MustacheContentType {
    static let name = "SHELL"
    private static let registration: Void = MustacheContentTypes.register(ShellWordContentType(), named: name)

    /// Makes the content type known to mustache (once).
    static func registered() { _ = registration }

    func escapeText(_ text: String) -> String { text.shellQuoted }
}

extension RecipeScope {
    /// The first value tag (`{{name}}`, not a section, comment, partial or `{{{raw}}}` tag) of a shell text that sits
    /// inside single or double quotes, as far as a simple reading of POSIX quoting tells.
    static func placeholderInsideQuotes(_ text: String) -> String? {
        var single = false, double = false, escaped = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if single || double, !escaped, character == "{", index == text.startIndex || text[text.index(before: index)] != "{",
                let match = text[index...].prefixMatch(of: /\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}/)
            {
                return String(match.output.1)
            }
            if escaped {
                escaped = false
            } else if single {
                single = character != "'"
            } else if character == "\\" {
                escaped = true
            } else if character == "'", !double {
                single = true
            } else if character == "\"" {
                double.toggle()
            }
            index = text.index(after: index)
        }
        return nil
    }
}

extension RecipeNode {
    var mustacheValue: [String: Any] { ["name": name, "address": address] }
}

extension AttributeValue {
    /// The value as the plain Swift values mustache walks (null renders as nothing).
    var mustacheValue: Any { plainValue(null: "") }
}

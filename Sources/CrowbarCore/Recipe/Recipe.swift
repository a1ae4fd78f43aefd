/// The idempotent resources one role applies to a node (`recipes/<barclamp>/<role>.yml`), in order.
/// Text fields are mustache templates rendered against the proposal and node when the recipe is compiled.
public struct Recipe: Sendable, Hashable {
    /// `barclamp/role`, as roles name their recipe.
    public var name: String
    public var resources: [Resource]
    /// Limit for one node's run of the whole recipe.
    public var timeoutSeconds: Int

    public init(name: String, resources: [Resource], timeoutSeconds: Int = 1800) {
        self.name = name
        self.resources = resources
        self.timeoutSeconds = timeoutSeconds
    }
}

/// One resource of a recipe and where it was written.
public struct Resource: Sendable, Hashable {
    public var kind: ResourceKind
    public var location: SourceLocation
    /// How logs and results name it: the kind's label, or the label of the shorthand it was written as
    /// (`database glance`, `keystone_service image`).
    public var label: String
    /// `when:` templates (the resource's own, after those of the includes it came through), each rendering to
    /// `A == B`, `A != B`, `true` or `false`: the resource is left out of the nodes' scripts unless all hold (a choice
    /// between backends, drivers or datapaths). Empty: always applied.
    public var conditions: [String]

    public init(kind: ResourceKind, location: SourceLocation, label: String? = nil, conditions: [String] = []) {
        self.kind = kind
        self.location = location
        self.label = label ?? kind.label
        self.conditions = conditions
    }
}

/// File ownership and permissions a `file`, `template` or `ini` resource enforces when given.
public struct FileAttributes: Sendable, Hashable {
    public var owner: String?
    public var group: String?
    /// Octal text such as `0640`.
    public var mode: String?

    public init(owner: String? = nil, group: String? = nil, mode: String? = nil) {
        self.owner = owner
        self.group = group
        self.mode = mode
    }
}

/// One `key = value` of an `ini` resource.
public struct IniSetting: Sendable, Hashable {
    public var section: String
    public var key: String
    public var value: String

    public init(section: String, key: String, value: String) {
        self.section = section
        self.key = key
        self.value = value
    }
}

/// What a `wait_for` resource waits for.
public enum WaitTarget: Sendable, Hashable {
    case port(host: String, port: String)
    /// Any HTTP answer below 500 counts as up.
    case url(String)
}

/// The resource types a recipe can use; each compiles to a shell snippet that checks before it changes.
public enum ResourceKind: Sendable, Hashable {
    /// Debian packages installed with apt (never upgraded or removed).
    case package(names: [String])
    /// A file with inline content.
    case file(path: String, content: String, attributes: FileAttributes)
    /// A file rendered from `recipes/<barclamp>/templates/<source>`.
    case template(path: String, source: String, attributes: FileAttributes)
    /// Keys set in an INI-style file (OpenStack's `.conf` files), other lines kept.
    case ini(path: String, settings: [IniSetting], attributes: FileAttributes)
    /// A systemd unit's state; restarted when a file it subscribes to changed in this run.
    case service(name: String, running: Bool?, enabled: Bool?, subscribes: [String])
    case user(name: String, home: String?, shell: String?, system: Bool)
    /// A command run unless `creates` exists or `unless` succeeds; always reports `changed` when it runs.
    case command(run: String, creates: String?, unless: String?)
    case waitFor(WaitTarget, timeoutSeconds: Int)

    /// The YAML key that introduces this kind.
    public var keyword: String {
        switch self {
        case .package: "package"
        case .file: "file"
        case .template: "template"
        case .ini: "ini"
        case .service: "service"
        case .user: "user"
        case .command: "command"
        case .waitFor: "wait_for"
        }
    }

    /// A short label for logs and results, e.g. `service chrony`.
    public var label: String {
        switch self {
        case .package(let names): "package \(names.joined(separator: " "))"
        case .file(let path, _, _), .template(let path, _, _), .ini(let path, _, _): "\(keyword) \(path)"
        case .service(let name, _, _, _), .user(let name, _, _, _): "\(keyword) \(name)"
        case .command(let run, _, _): "command \(run.split(separator: "\n").first.map(String.init) ?? "")"
        case .waitFor(.port(let host, let port), _): "wait_for \(host):\(port)"
        case .waitFor(.url(let url), _): "wait_for \(url)"
        }
    }
}

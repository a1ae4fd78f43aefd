/// A recipe turned into one POSIX sh script for one node.
public struct CompiledRecipe: Sendable, Hashable {
    /// The script, to be fed to ``CompiledRecipe/command`` on the node (on stdin, so secrets never appear in a
    /// process list).
    public var script: String
    /// The resources' labels, numbered from 1 as the script's markers number them. Labels come from the
    /// unrendered recipe, so they never hold a secret.
    public var resources: [String]
    /// The word the script's markers carry; a random one per apply keeps resource output from faking a result.
    public var marker: String
    /// The number of the recipe's last `package:` resource (0: it installs none, or checks). Once it has finished, the
    /// rest of the recipe leaves dpkg to others (the recipes' tests hold them to it): packages can be staged on the node
    /// beside it (``PackageStaging``).
    public var lastPackage: Int = 0
    /// Every package its `package:` resources name (none when it checks).
    public var packages: [String] = []
    /// Whether it may use apt, dpkg or their state: it installs packages, runs commands, adds users, or writes files
    /// where apt, dpkg or a package's maintainer scripts keep state (``RecipeCompiler/packageStatePaths``). One that
    /// does not (a step that only templates `/etc/resolv.conf`) can run beside a package staging on its node.
    public var mayUseDpkg: Bool = true

    /// The remote command that runs a script from stdin. `exec` makes sshd the script's parent, which the
    /// script's dead man's switch watches.
    public static let command = "exec sh -s"
}

/// Compiles a recipe for one node: renders every text field against the context, checks names and values,
/// and writes a script in which each resource checks first and reports `ok`, `changed` or `failed`
/// between `RecipeOutput` markers. In check mode the script changes nothing and reports what would change.
public enum RecipeCompiler {
    public static func compile(
        _ recipe: Recipe, templates: [String: String], context: RecipeContext, checkMode: Bool, marker: String = "crowbar"
    ) throws(DefinitionError) -> CompiledRecipe {
        precondition(marker.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }, "marker is a plain word")
        var script = ScriptPrelude.text(recipe: recipe.name, node: context.node.name, checkMode: checkMode, marker: marker)
        var labels: [String] = []
        var rendered: [ResourceKind] = []
        var applied: [Resource] = []
        for resource in recipe.resources where try holds(resource, context: context) {
            applied.append(resource)
            rendered.append(try render(resource, templates: templates, context: context))
        }
        // The services that subscribe to each path: a change leaves a pending-restart marker on the node, so a
        // restart owed by a run that stopped before reaching its service is still made by the next run.
        var subscribers: [String: [String]] = [:]
        for case .service(let name, _, _, let paths) in rendered {
            for path in paths { subscribers[path, default: []].append(name) }
        }
        for (offset, resource) in applied.enumerated() {
            let index = offset + 1
            let kind = rendered[offset]
            script += "\n# \(index): \(resource.label.replacingOccurrences(of: "\n", with: " "))\n"
            script += "crowbar_r\(index)() {\n\(try ResourceScript.body(kind, location: resource.location))\n}\n"
            if case .service(let name, _, _, let subscribes) = kind {
                script += "crowbar_restart=0\n[ ! -e \(restartMarker(name)) ] || crowbar_restart=1\n"
                for path in subscribes {
                    script += "case \"$crowbar_changed\" in *\("|\(path)|".shellQuoted)*) crowbar_restart=1 ;; esac\n"
                }
            }
            script += "crowbar_step \(index) crowbar_r\(index)\n"
            if case .service(let name, _, _, _) = kind {
                script += "[ \"$crowbar_check\" = 1 ] || rm -f \(restartMarker(name))\n"
            }
            if let path = kind.changedPath {
                script += "[ \"$crowbar_status\" != changed ] || crowbar_changed=\"$crowbar_changed\"\("\(path)|".shellQuoted)\n"
                for service in subscribers[path] ?? [] {
                    script += "[ \"$crowbar_status\" != changed ] || [ \"$crowbar_check\" = 1 ] || "
                        + "{ mkdir -p \(restartFolder.shellQuoted) && : > \(restartMarker(service)); }\n"
                }
            }
            labels.append(resource.label)
        }
        script += "crowbar_mark done\n"
        // A check installs nothing, so it never says its packages are installed.
        let lastPackage = checkMode ? 0 : rendered.lastIndex { if case .package = $0 { true } else { false } }.map { $0 + 1 } ?? 0
        let packages: [String] = checkMode ? [] : rendered.flatMap { kind -> [String] in if case .package(let names) = kind { names } else { [] } }
        return CompiledRecipe(
            script: script, resources: labels, marker: marker, lastPackage: lastPackage, packages: packages,
            mayUseDpkg: rendered.contains(where: mayUseDpkg))
    }

    /// Where apt, dpkg and maintainer scripts keep their state (`/sbin` is `/usr/sbin` on Debian 12), the keyrings apt
    /// reads, and the account files maintainer scripts change (`adduser`, with their backups).
    static let packageStatePaths = [
        "/etc/apt", "/etc/dpkg", "/var/lib/apt", "/var/lib/dpkg", "/var/cache/apt", "/var/cache/debconf", "/var/lib/ucf",
        "/etc/alternatives", "/var/lib/systemd/deb-systemd-helper-enabled", "/usr/share/keyrings", "/usr/sbin/policy-rc.d",
        "/sbin/policy-rc.d", "/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/passwd-", "/etc/group-",
        "/etc/shadow-", "/etc/gshadow-", "/etc/subuid", "/etc/subgid",
    ]

    /// Whether a resource may use apt or dpkg or touch their state (``CompiledRecipe/mayUseDpkg``). A command may run
    /// anything; a service or a wait only talks to systemd or the network.
    static func mayUseDpkg(_ kind: ResourceKind) -> Bool {
        switch kind {
        case .package, .command, .user: return true
        case .file(let path, _, _), .template(let path, _, _), .ini(let path, _, _):
            // `//` and `.` are read as the kernel reads them; a `..` could lead anywhere, so it counts.
            let parts = path.split(separator: "/").filter { $0 != "." }
            let plain = "/" + parts.joined(separator: "/")
            return parts.contains("..") || packageStatePaths.contains { plain == $0 || plain.hasPrefix($0 + "/") }
        case .service, .waitFor: return false
        }
    }

    /// A template with each `{{> name}}` replaced by the template `name.mustache` (the recipe's own, or a shared one),
    /// partials within partials too, a few levels deep.
    static func withPartials(
        _ text: String, templates: [String: String], location: SourceLocation, key: String, depth: Int = 0
    ) throws(DefinitionError) -> String {
        guard text.contains("{{>") else { return text }
        guard depth < 4 else { throw DefinitionError(location: location, key: key, message: "partials nested more than 4 deep") }
        var result = ""
        var rest = text[...]
        while let match = rest.firstMatch(of: /\{\{>\s*([A-Za-z0-9_.\-]+)\s*\}\}/) {
            let name = String(match.output.1)
            guard let partial = templates[name + ".mustache"] else {
                throw DefinitionError(location: location, key: key, message: "partial '\(name)' not found (no \(name).mustache among the templates)")
            }
            result += rest[..<match.range.lowerBound]
            // The tag's own line ends the partial: its last newline is dropped, so `{{> name}}` on a line of its own
            // leaves the text as if the partial's lines stood there.
            let body = partial.hasSuffix("\n") ? String(partial.dropLast()) : partial
            result += try withPartials(body, templates: templates, location: location, key: key, depth: depth + 1)
            rest = rest[match.range.upperBound...]
        }
        return result + rest
    }

    /// Where pending restarts are kept on a node, one empty file per service.
    static let restartFolder = "/var/lib/crowbar/pending-restart"

    static func restartMarker(_ service: String) -> String { "\(restartFolder)/\(service)".shellQuoted }

    /// Whether a resource applies to the node: each of its `when:` rendered is `A == B` (equal after trimming), `A != B`
    /// or `true` (`false` leaves it out); anything else is an error naming the recipe's line.
    static func holds(_ resource: Resource, context: RecipeContext) throws(DefinitionError) -> Bool {
        for condition in resource.conditions where try !holds(condition, at: resource.location, context: context) {
            return false
        }
        return true
    }

    private static func holds(_ condition: String, at location: SourceLocation, context: RecipeContext) throws(DefinitionError) -> Bool {
        let text = try context.render(condition, location: location, key: "when").trimmingCharacters(in: .whitespaces)
        for (operator_, equal) in [(" == ", true), (" != ", false)] {
            if let range = text.range(of: operator_) {
                let left = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let right = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
                return (left == right) == equal
            }
        }
        switch text {
        case "true": return true
        case "false": return false
        default:
            throw DefinitionError(
                location: location, key: "when",
                message: "'\(text)' is not 'A == B', 'A != B', true or false")
        }
    }

    /// The resource with every text field rendered; a template becomes a file with its rendered content.
    static func render(
        _ resource: Resource, templates: [String: String], context: RecipeContext
    ) throws(DefinitionError) -> ResourceKind {
        let at = resource.location
        func text(_ value: String, _ key: String) throws(DefinitionError) -> String {
            try context.render(value, location: at, key: key)
        }
        func optional(_ value: String?, _ key: String) throws(DefinitionError) -> String? {
            guard let value else { return nil }
            return try text(value, key)
        }
        func shell(_ value: String?, _ key: String) throws(DefinitionError) -> String? {
            guard let value else { return nil }
            return try context.render(value, location: at, key: key, shell: true)
        }
        func attributes(_ given: FileAttributes) throws(DefinitionError) -> FileAttributes {
            FileAttributes(owner: try optional(given.owner, "owner"), group: try optional(given.group, "group"), mode: given.mode)
        }
        switch resource.kind {
        case .package(let names):
            var rendered: [String] = []
            for name in names { rendered.append(try text(name, "package")) }
            return .package(names: rendered)
        case .file(let path, let content, let fileAttributes):
            return .file(path: try text(path, "file"), content: try text(content, "content"), attributes: try attributes(fileAttributes))
        case .template(let path, let source, let fileAttributes):
            guard let template = templates[source] else {
                throw DefinitionError(location: at, key: "source", message: "template '\(source)' not found in the recipe's templates/")
            }
            let whole = try withPartials(template, templates: templates, location: at, key: "source \(source)")
            return .file(path: try text(path, "template"), content: try text(whole, "source \(source)"), attributes: try attributes(fileAttributes))
        case .ini(let path, let settings, let fileAttributes):
            var rendered: [IniSetting] = []
            for setting in settings {
                let key = "settings.\(setting.section).\(setting.key)"
                let value = try text(setting.value, key)
                guard !value.contains(where: \.isNewline) else {
                    throw DefinitionError(location: at, key: key, message: "an ini value cannot span lines")
                }
                rendered.append(IniSetting(section: setting.section, key: setting.key, value: value))
            }
            return .ini(path: try text(path, "ini"), settings: rendered, attributes: try attributes(fileAttributes))
        case .service(let name, let running, let enabled, let subscribes):
            var paths: [String] = []
            for path in subscribes { paths.append(try text(path, "subscribes")) }
            return .service(name: try text(name, "service"), running: running, enabled: enabled, subscribes: paths)
        case .user(let name, let home, let shell, let system):
            return .user(name: try text(name, "user"), home: try optional(home, "home"), shell: try optional(shell, "shell"), system: system)
        case .command(let run, let creates, let unless):
            return .command(run: try shell(run, "command")!, creates: try shell(creates, "creates"), unless: try shell(unless, "unless"))
        case .waitFor(.port(let host, let port), let timeout):
            return .waitFor(.port(host: try text(host, "wait_for"), port: try text(port, "wait_for")), timeoutSeconds: timeout)
        case .waitFor(.url(let url), let timeout):
            return .waitFor(.url(try text(url, "wait_for")), timeoutSeconds: timeout)
        }
    }
}

extension ResourceKind {
    /// The file a resource writes, which services may subscribe to.
    var changedPath: String? {
        switch self {
        case .file(let path, _, _), .template(let path, _, _), .ini(let path, _, _): path
        default: nil
        }
    }
}

import CrowbarCore
import Foundation

/// The recipes folder: `<root>/<barclamp>/<role>.yml`, `<root>/<barclamp>/templates/*.mustache`, and what recipes
/// share in `<root>/_shared/`: INI sections and resource lists (`<name>.yml`, for `include`) and templates
/// (`templates/`, for a template's `source` or `{{> name}}` partials). Read at each step, so an edited recipe applies on the next run
/// without a restart.
public struct RecipeBook: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    /// The recipe named `barclamp/role` and the templates of its barclamp.
    public func load(_ name: String) throws -> (recipe: Recipe, templates: [String: String]) {
        let file = "\(root)/\(name).yml"
        guard let data = FileManager.default.contents(atPath: file) else {
            throw RecipeMissing(name: name, file: file)
        }
        let recipe = try RecipeParser.parse(String(decoding: data, as: UTF8.self), name: name, file: file, shared: try shared())
        let barclamp = name.split(separator: "/").first.map(String.init) ?? name
        // The shared templates (partials such as keystone_authtoken), then the barclamp's own, which win.
        var templates: [String: String] = [:]
        for folder in ["\(root)/_shared/templates", "\(root)/\(barclamp)/templates"] {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                if let text = FileManager.default.contents(atPath: "\(folder)/\(entry)") {
                    templates[entry] = String(decoding: text, as: UTF8.self)
                }
            }
        }
        return (recipe, templates)
    }

    /// The shared INI sections and resource lists, by file name without `.yml`.
    public func shared() throws -> SharedRecipeParts {
        let folder = "\(root)/_shared"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            .filter { $0.hasSuffix(".yml") }
            .compactMap { entry -> (name: String, file: String, text: String)? in
                guard let data = FileManager.default.contents(atPath: "\(folder)/\(entry)") else { return nil }
                return (String(entry.dropLast(4)), "\(folder)/\(entry)", String(decoding: data, as: UTF8.self))
            }
        return try RecipeParser.parseShared(files)
    }
}

/// A role names a recipe that has no file.
public struct RecipeMissing: Error, CustomStringConvertible {
    public var name: String
    public var file: String
    public var description: String { "no recipe \(name) (\(file) does not exist)" }
}

import CrowbarCore
import Foundation

/// The recipes folder: `<root>/<barclamp>/<role>.yml` and `<root>/<barclamp>/templates/*.mustache`.
/// Read at each step, so an edited recipe applies on the next run without a restart.
public struct RecipeBook: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    /// The recipe named `barclamp/role` and the templates of its barclamp.
    public func load(_ name: String) throws -> (recipe: Recipe, templates: [String: String]) {
        let file = "\(root)/\(name).yml"
        guard let data = FileManager.default.contents(atPath: file) else {
            throw RecipeMissing(name: name, file: file)
        }
        let recipe = try RecipeParser.parse(String(decoding: data, as: UTF8.self), name: name, file: file)
        let barclamp = name.split(separator: "/").first.map(String.init) ?? name
        let folder = "\(root)/\(barclamp)/templates"
        var templates: [String: String] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            if let text = FileManager.default.contents(atPath: "\(folder)/\(entry)") {
                templates[entry] = String(decoding: text, as: UTF8.self)
            }
        }
        return (recipe, templates)
    }
}

/// A role names a recipe that has no file.
public struct RecipeMissing: Error, CustomStringConvertible {
    public var name: String
    public var file: String
    public var description: String { "no recipe \(name) (\(file) does not exist)" }
}

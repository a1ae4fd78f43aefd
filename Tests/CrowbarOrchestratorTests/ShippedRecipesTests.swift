import CrowbarControl
import CrowbarCore
import Foundation
import Testing

@testable import CrowbarCore
@testable import CrowbarOrchestrator

/// Every role of every shipped barclamp names a recipe that RecipeBook reads as crowbard will (shared sections,
/// shorthands, templates), so a broken recipe fails here rather than half-way through a deploy day.
@Suite struct ShippedRecipesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyRolesRecipeLoads() throws {
        let catalog = try BarclampDirectory.load(Self.root.appendingPathComponent("barclamps").path)
        let book = RecipeBook(root: Self.root.appendingPathComponent("recipes").path)
        var loaded = 0
        for barclamp in catalog.runOrder {
            for role in barclamp.roles {
                let (recipe, templates) = try book.load(role.recipe)
                #expect(!recipe.resources.isEmpty, "\(role.recipe) has no resources")
                for case .template(_, let source, _) in recipe.resources.map(\.kind) {
                    let template = try #require(templates[source], "\(role.recipe): no template \(source)")
                    _ = try RecipeCompiler.withPartials(template, templates: templates, location: SourceLocation(file: source, line: 1), key: source)
                }
                loaded += 1
            }
        }
        #expect(loaded >= 20)
        #expect(try book.sharedSettings().keys.sorted() == ["keystone_authtoken", "neutron_common"])
    }
}

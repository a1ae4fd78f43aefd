extension RecipeCompiler {
    /// The packages a recipe installs on a node before anything else: the names of its `package:` resources that hold
    /// for `context`, up to its first resource of another kind. A package installed after a file is written may
    /// depend on that file (a preseed, a default), so it is left to its step; these can be installed ahead.
    public static func leadingPackages(_ recipe: Recipe, context: RecipeContext) throws(DefinitionError) -> [String] {
        var names: [String] = []
        for resource in recipe.resources {
            guard case .package = resource.kind else { break }
            guard try holds(resource, context: context),
                case .package(let rendered) = try render(resource, templates: [:], context: context)
            else { continue }
            names += rendered.filter { !names.contains($0) }
        }
        return names
    }
}

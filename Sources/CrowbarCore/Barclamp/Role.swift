/// A role of a barclamp: a set of nodes that get the same recipe.
public struct Role: Sendable, Hashable, Codable {
    public var name: String
    /// Run order among the roles of one barclamp; lower runs first.
    public var priority: Int
    /// The fewest nodes a committed proposal must assign to this role.
    public var min: Int
    /// The most nodes the role may have; `nil` means no limit.
    public var max: Int?
    /// Roles (of any barclamp) that may not share a node with this one.
    public var conflicts: [String]
    /// The recipe applied to the role's nodes, as `barclamp/role` under `recipes/`.
    public var recipe: String

    public init(name: String, priority: Int, min: Int = 0, max: Int? = nil, conflicts: [String] = [], recipe: String) {
        self.name = name
        self.priority = priority
        self.min = min
        self.max = max
        self.conflicts = conflicts
        self.recipe = recipe
    }
}

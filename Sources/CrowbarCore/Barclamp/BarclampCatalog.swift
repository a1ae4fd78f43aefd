/// The set of barclamps an admin node knows, checked as a whole: unique barclamp names, role names
/// unique across barclamps (recipes refer to any role by name), every `requires` naming a known barclamp, every conflict naming a known role, and no
/// dependency cycles.
public struct BarclampCatalog: Sendable {
    /// Barclamps in run order: every barclamp after those it requires, then by `order`, then by name.
    public let runOrder: [Barclamp]
    private let byName: [String: Barclamp]

    /// Builds a catalog from parsed barclamps, throwing the first problem found.
    public init(_ barclamps: [Barclamp]) throws(DefinitionError) {
        var byName: [String: Barclamp] = [:]
        for barclamp in barclamps {
            if let earlier = byName[barclamp.name] {
                throw DefinitionError(
                    location: barclamp.location(of: ""), key: "name",
                    message: "barclamp '\(barclamp.name)' is already defined in \(earlier.location(of: "").file)")
            }
            byName[barclamp.name] = barclamp
        }
        var roleOwners: [String: String] = [:]
        for barclamp in barclamps {
            for (index, role) in barclamp.roles.enumerated() {
                if let owner = roleOwners[role.name] {
                    throw DefinitionError(
                        location: barclamp.location(of: "roles.\(index)"), key: "roles.\(index).name",
                        message: "role '\(role.name)' is already a role of barclamp '\(owner)'")
                }
                roleOwners[role.name] = barclamp.name
            }
        }
        let roleNames = Set(roleOwners.keys)
        for barclamp in barclamps {
            for (index, required) in barclamp.requires.enumerated() where byName[required] == nil {
                throw DefinitionError(
                    location: barclamp.location(of: "requires.\(index)"), key: "requires.\(index)",
                    message: "requires unknown barclamp '\(required)'")
            }
            for (roleIndex, role) in barclamp.roles.enumerated() {
                for (index, conflict) in role.conflicts.enumerated() where !roleNames.contains(conflict) {
                    let key = "roles.\(roleIndex).conflicts.\(index)"
                    throw DefinitionError(
                        location: barclamp.location(of: key), key: key, message: "conflicts with unknown role '\(conflict)'")
                }
            }
        }
        self.byName = byName
        do {
            self.runOrder = try DependencyOrder.sorted(
                barclamps, name: \.name, dependencies: \.requires, tieBreak: { ($0.order, $0.name) < ($1.order, $1.name) })
        } catch {
            let first = byName[error.cycle[0]]!
            throw DefinitionError(
                location: first.location(of: "requires.0"), key: "requires",
                message: "dependency cycle: \(error.cycle.joined(separator: " → "))")
        }
    }

    /// The barclamp named `name`.
    public subscript(name: String) -> Barclamp? { byName[name] }

    /// Every barclamp name, in run order.
    public var names: [String] { runOrder.map(\.name) }

    /// The position of a barclamp in the run order.
    public func runIndex(of name: String) -> Int? { runOrder.firstIndex { $0.name == name } }
}

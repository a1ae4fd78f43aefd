/// A dependency cycle, listed from a member back to itself (`a → b → a`).
public struct DependencyCycle: Error, Sendable, Hashable {
    public var cycle: [String]
}

/// Topological ordering with a deterministic tie-break.
public enum DependencyOrder {
    /// Orders `items` so each comes after its dependencies; among items that are ready at the
    /// same time, `tieBreak` decides. Dependencies not among the items are ignored.
    public static func sorted<Item>(
        _ items: [Item], name: (Item) -> String, dependencies: (Item) -> [String],
        tieBreak: (Item, Item) -> Bool
    ) throws(DependencyCycle) -> [Item] {
        let names = Set(items.map(name))
        var remaining = Dictionary(uniqueKeysWithValues: items.map { (name($0), Set(dependencies($0)).intersection(names)) })
        var dependents: [String: [String]] = [:]
        for (item, needs) in remaining { for need in needs { dependents[need, default: []].append(item) } }
        let itemsByName = Dictionary(uniqueKeysWithValues: items.map { (name($0), $0) })
        var ready = items.filter { remaining[name($0)]!.isEmpty }
        var result: [Item] = []
        while !ready.isEmpty {
            ready.sort(by: tieBreak)
            let next = ready.removeFirst()
            let nextName = name(next)
            result.append(next)
            for dependent in dependents[nextName] ?? [] {
                remaining[dependent]!.remove(nextName)
                if remaining[dependent]!.isEmpty { ready.append(itemsByName[dependent]!) }
            }
        }
        if result.count < items.count {
            let stuck = remaining.filter { !$0.value.isEmpty }
            throw DependencyCycle(cycle: findCycle(in: stuck))
        }
        return result
    }

    /// Walks dependencies from the smallest stuck name until a name repeats.
    private static func findCycle(in graph: [String: Set<String>]) -> [String] {
        var path: [String] = []
        var current = graph.keys.min()!
        while !path.contains(current) {
            path.append(current)
            current = graph[current]!.filter { graph[$0] != nil }.min()!
        }
        return Array(path[path.firstIndex(of: current)!...]) + [current]
    }
}

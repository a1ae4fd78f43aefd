/// A list to choose from over a form: one value (an attribute's allowed values) or several (a role's nodes).
public struct Picker: Sendable, Hashable {
    /// What the choice is for.
    public enum Target: Sendable, Hashable {
        case attribute(String)
        case role(String)
        /// The state a node moves to.
        case state(node: String)
    }

    /// How a key left the picker.
    public enum Outcome: Sendable, Hashable {
        case chosen([String])
        case cancelled
    }

    public let target: Target
    public let options: [String]
    public let multiple: Bool
    public private(set) var chosen: Set<String>
    public private(set) var cursor: Int

    public init(target: Target, options: [String], chosen: [String], multiple: Bool) {
        self.target = target
        self.options = options
        self.multiple = multiple
        self.chosen = Set(chosen)
        cursor = options.firstIndex { chosen.contains($0) } ?? 0
    }

    /// ↑ ↓ move, space toggles (several), Enter takes the choice, Esc leaves it unchanged; nil while still choosing.
    public mutating func handle(_ key: Key) -> Outcome? {
        if let moved = ListNavigation.index(after: key, from: cursor, count: options.count) {
            cursor = moved
            return nil
        }
        switch key {
        case .character(" ") where multiple && !options.isEmpty:
            let option = options[cursor]
            if chosen.contains(option) { chosen.remove(option) } else { chosen.insert(option) }
        case .enter:
            if multiple { return .chosen(options.filter(chosen.contains)) }
            return options.isEmpty ? .cancelled : .chosen([options[cursor]])
        case .escape: return .cancelled
        default: break
        }
        return nil
    }

    /// One line per option, `[x]` / `( )` marks first.
    public var lines: [String] {
        options.map { option in
            let mark = multiple ? (chosen.contains(option) ? "[x]" : "[ ]") : (chosen.contains(option) ? "(•)" : "( )")
            return "\(mark) \(option)"
        }
    }
}

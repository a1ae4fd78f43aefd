/// The keys that move a selection through a list, the same on every screen.
enum ListNavigation {
    /// The index `key` moves the selection at `index` of `count` lines to (0 in an empty list), or nil when the key
    /// does not move a selection: ↑ ↓ and k j by one, PgUp PgDn by ten, Home End to the ends.
    static func index(after key: Key, from index: Int, count: Int) -> Int? {
        let target: Int
        switch key {
        case .up, .character("k"): target = index - 1
        case .down, .character("j"): target = index + 1
        case .pageUp: target = index - 10
        case .pageDown: target = index + 10
        case .home: target = 0
        case .end: target = count - 1
        default: return nil
        }
        return max(min(target, count - 1), 0)
    }
}

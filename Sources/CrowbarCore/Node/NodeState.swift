/// Where a node is in its life, from first PXE boot to deletion.
public enum NodeState: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case discovering
    case discovered
    case allocated
    case installing
    case installed
    case readying
    case ready
    case applying
    case problem
    case reinstall
    case deleted

    public static func < (lhs: NodeState, rhs: NodeState) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The lexical half of keeping TFTP inside its root: a requested name becomes relative path components or is
/// refused. (The server also resolves symlinks and checks the real path stays inside the root.)
public enum TFTPPath {
    /// The components of `requested`, or nil for an empty, absolute, backslashed or `..`-climbing name.
    public static func components(of requested: String) -> [String]? {
        guard !requested.isEmpty, !requested.hasPrefix("/"), !requested.contains("\\") else { return nil }
        let parts = requested.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let kept = parts.filter { $0 != "." }
        guard !kept.isEmpty, !kept.contains("..") else { return nil }
        return kept
    }
}

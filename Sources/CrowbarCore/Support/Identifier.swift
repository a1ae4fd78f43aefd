/// The rule for names of barclamps, roles, proposals and nodes: they appear in URLs,
/// file names and shell commands, so they are kept to a safe alphabet.
public enum Identifier {
    public static let rule = "names use lowercase letters, digits, '-', '_' and '.', start with a letter or digit, and have at most 63 characters"

    public static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63 else { return false }
        func allowed(_ byte: UInt8) -> Bool {
            (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2d || byte == 0x5f || byte == 0x2e
        }
        let isAlphanumeric = (first >= 0x61 && first <= 0x7a) || (first >= 0x30 && first <= 0x39)
        return isAlphanumeric && name.utf8.allSatisfy(allowed)
    }
}

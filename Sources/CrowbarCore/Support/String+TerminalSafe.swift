extension String {
    /// The text with control characters made visible (`ESC` → `^[`, `DEL` → `^?`, C1 controls → `\u{9b}`), newlines
    /// and tabs kept: what a terminal may be shown of values that came from the network (a DHCP host name, an
    /// inventory field, a node's output), so none of them can move the cursor, retitle the window or clear the screen.
    public var terminalSafe: String {
        guard unicodeScalars.contains(where: Self.isControl) else { return self }
        var safe = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x09: safe.append(scalar)
            case 0x00..<0x20: safe.append(contentsOf: "^\(Character(Unicode.Scalar(UInt8(scalar.value) + 0x40)))".unicodeScalars)
            case 0x7F: safe.append(contentsOf: "^?".unicodeScalars)
            case 0x80..<0xA0: safe.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            default: safe.append(scalar)
            }
        }
        return String(safe)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar.value != 0x0A && scalar.value != 0x09) || (0x7F..<0xA0).contains(scalar.value)
    }
}

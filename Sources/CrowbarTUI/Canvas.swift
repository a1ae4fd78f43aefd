/// How a cell is drawn; the terminal maps each to colours and attributes (reverse video and bold without colour).
public enum CellStyle: Sendable, Hashable, CaseIterable {
    case normal, title, header, selected, dim, ok, changed, failed, warning, bar, key
}

/// What a screen draws: a grid of characters, each with a style. The terminal paints it; tests read its text.
/// A character takes one column (the UI draws ASCII, box-drawing characters and arrows only).
public struct Canvas: Sendable, Hashable {
    public let width: Int
    public let height: Int
    public private(set) var characters: [[Character]]
    public private(set) var styles: [[CellStyle]]

    public init(width: Int, height: Int) {
        self.width = max(width, 0)
        self.height = max(height, 0)
        characters = Array(repeating: Array(repeating: " ", count: self.width), count: self.height)
        styles = Array(repeating: Array(repeating: .normal, count: self.width), count: self.height)
    }

    /// Writes `text` from `column` on `row`, cut at `limit` columns (default: the canvas's edge); off-canvas parts are
    /// dropped.
    public mutating func put(_ text: String, row: Int, column: Int = 0, style: CellStyle = .normal, limit: Int? = nil) {
        guard (0..<height).contains(row) else { return }
        let end = min(width, column + (limit ?? width))
        var position = column
        for character in text where position < end {
            if position >= 0 {
                characters[row][position] = character
                styles[row][position] = style
            }
            position += 1
        }
    }

    /// Gives the whole of `row` one style (a bar or a selected line), keeping its characters.
    public mutating func paint(row: Int, style: CellStyle) {
        guard (0..<height).contains(row) else { return }
        styles[row] = Array(repeating: style, count: width)
    }

    /// The canvas as text, one line per row, trailing spaces trimmed: what tests and `docs/tui.md` compare.
    public var text: String {
        characters.map { String($0).replacingTrailingSpaces() }.joined(separator: "\n")
    }
}

extension String {
    fileprivate func replacingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }

    /// The text cut or padded with spaces to exactly `width` columns (cut text ends in `…`).
    func fitted(to width: Int) -> String {
        guard width > 0 else { return "" }
        if count <= width { return self + String(repeating: " ", count: width - count) }
        return String(prefix(width - 1)) + "…"
    }
}

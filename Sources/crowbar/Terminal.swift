import CNcurses
import CrowbarTUI
import Foundation

/// The real terminal, through ncurses: paints a `Canvas`, reads keys, follows resizes. Colour only when the terminal
/// has it and `NO_COLOR` is unset; otherwise styles are reverse video, bold, dim and underline. `close()` restores
/// the terminal's mode, whatever ended the UI. Use from one thread only (ncurses is not thread-safe).
final class Terminal {
    private let window: UnsafeMutablePointer<WINDOW>
    private var attributes: [CellStyle: Int32] = [:]
    private var closed = false

    /// Takes over the terminal: raw keys (Ctrl-C arrives as a key), no echo, no cursor, reads that wait at most
    /// `keyWait` milliseconds.
    init(keyWait: Int32 = 100) {
        setlocale(LC_ALL, "")
        initscr()
        window = crowbar_stdscr()!
        raw()
        noecho()
        keypad(window, true)
        curs_set(0)
        wtimeout(window, keyWait)
        set_escdelay(25)
        let colour = has_colors() && ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true
        if colour {
            start_color()
            use_default_colors()
        }
        for (index, style) in CellStyle.allCases.enumerated() {
            attributes[style] = colour ? Self.colourAttribute(style, pair: Int16(index + 1)) : Self.monochromeAttribute(style)
        }
    }

    deinit { close() }

    /// The terminal's size, columns × lines.
    var size: (width: Int, height: Int) { (Int(crowbar_columns()), Int(crowbar_lines())) }

    /// Draws the canvas: each row in runs of one style.
    func paint(_ canvas: Canvas) {
        werase(window)
        for row in 0..<canvas.height {
            var column = 0
            while column < canvas.width {
                let style = canvas.styles[row][column]
                var end = column
                while end < canvas.width, canvas.styles[row][end] == style { end += 1 }
                // The bottom-right cell is left alone: writing it would scroll some terminals.
                if row == canvas.height - 1, end == canvas.width { end -= 1 }
                guard end > column else { break }
                wattrset(window, attributes[style] ?? 0)
                mvwaddstr(window, Int32(row), Int32(column), String(canvas.characters[row][column..<end]))
                column = end
            }
        }
        wattrset(window, 0)
        wrefresh(window)
    }

    /// The next key, or nil when none came within the wait (or the terminal was resized: `size` tells the new one).
    func readKey() -> Key? {
        let code = wgetch(window)
        switch code {
        case ERR, KEY_RESIZE: return nil
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_ENTER, 10, 13: return .enter
        case KEY_BACKSPACE, 8, 127: return .backspace
        case 9: return .tab
        case 27: return .escape
        case 1...26: return .control(Character(UnicodeScalar(UInt8(code) + 96)))
        case 32...126: return .character(Character(UnicodeScalar(UInt8(code))))
        default: return nil
        }
    }

    /// Gives the terminal back as it was.
    func close() {
        guard !closed else { return }
        closed = true
        endwin()
    }

    private static func colourAttribute(_ style: CellStyle, pair: Int16) -> Int32 {
        let (foreground, background, extra): (Int32, Int32, Int32) = switch style {
        case .normal: (-1, -1, 0)
        case .title: (COLOR_WHITE, COLOR_BLUE, crowbar_bold())
        case .header: (-1, -1, crowbar_bold() | crowbar_underline())
        case .selected: (COLOR_BLACK, COLOR_CYAN, 0)
        case .dim: (-1, -1, crowbar_dim())
        case .ok: (COLOR_GREEN, -1, 0)
        case .changed: (COLOR_YELLOW, -1, 0)
        case .failed: (COLOR_RED, -1, crowbar_bold())
        case .warning: (COLOR_BLACK, COLOR_YELLOW, crowbar_bold())
        case .bar: (COLOR_BLACK, COLOR_WHITE, 0)
        case .key: (COLOR_CYAN, -1, crowbar_bold())
        }
        init_pair(pair, Int16(foreground), Int16(background))
        return crowbar_color_pair(pair) | extra
    }

    private static func monochromeAttribute(_ style: CellStyle) -> Int32 {
        switch style {
        case .normal, .ok, .changed: 0
        case .title, .selected, .bar, .warning: crowbar_reverse()
        case .header: crowbar_underline()
        case .dim: crowbar_dim()
        case .failed, .key: crowbar_bold()
        }
    }
}

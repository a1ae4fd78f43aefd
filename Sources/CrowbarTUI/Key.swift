/// A key the terminal read, as the view models understand it.
public enum Key: Sendable, Hashable {
    case character(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, backspace, tab
    /// Ctrl + a letter (`.control("c")`).
    case control(Character)
}

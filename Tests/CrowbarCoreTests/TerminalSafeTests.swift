import CrowbarCore
import Testing

@Suite("Text shown on a terminal")
struct TerminalSafeTests {
    @Test func controlCharactersFromTheNetworkAreShownNotObeyed() {
        let hostile = "node\u{1b}]0;owned\u{07}\u{1b}[2J\u{9b}31m\u{7f}\r"
        #expect(hostile.terminalSafe == "node^[]0;owned^G^[[2J\\u{9b}31m^?^M")
        #expect("two\nlines\tand a tab, ünïcode".terminalSafe == "two\nlines\tand a tab, ünïcode")
    }
}

import CrowbarCore

/// A parser's refusal must point into the text it was given: the file name it was told, and a line between 1 and one
/// past the last. Anything else traps, which libFuzzer reports as a finding.
public func requireUsableLocation(of error: DefinitionError, in text: String, file: String) {
    let lines = yamlLineCount(text)
    guard error.location.file == file, (1...lines + 1).contains(error.location.line) else {
        fatalError("refusal without a usable location: \(error) (\(lines) lines)")
    }
}

/// Lines as YAML counts them: `\r`, `\n`, `\r\n` and the Unicode line breaks all end one (`Character.isNewline` also
/// counts vertical tab and form feed, which only makes the bound looser).
func yamlLineCount(_ text: String) -> Int { text.reduce(1) { $1.isNewline ? $0 + 1 : $0 } }

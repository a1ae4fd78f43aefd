extension String {
    /// The text as one POSIX shell word: single-quoted, with each `'` written as `'\''`. Nothing inside
    /// is expanded, so `$()`, backquotes, quotes and newlines arrive as written.
    public var shellQuoted: String {
        "'" + replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

/// Replaces known secret values in text with the mask, so passwords printed by a command never reach the log.
struct SecretScrubber: Sendable {
    private let secrets: [String]

    /// Values shorter than 4 characters are left alone: they would mask ordinary words.
    init(_ secrets: [String]) {
        self.secrets = Set(secrets.filter { $0.count >= 4 }).sorted { $0.count > $1.count }
    }

    func scrub(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "********") }
    }
}

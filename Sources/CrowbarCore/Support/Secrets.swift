/// Generated passwords.
public enum Secrets {
    /// `length` random letters and digits (no look-alikes: 0/O, 1/l/I) from the system's secure generator.
    public static func random(length: Int = 24) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }
}

/// A barclamp or batch file that cannot be accepted, naming the file, line and key at fault.
public struct DefinitionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    /// The dotted key path at fault, e.g. `roles.1.name` or `attributes.admin_password.type`.
    public var key: String
    public var message: String

    public init(location: SourceLocation, key: String, message: String) {
        self.location = location
        self.key = key
        self.message = message
    }

    public var description: String {
        key.isEmpty ? "\(location): \(message)" : "\(location): \(key): \(message)"
    }
}

/// A request the store refuses: something missing, or something that clashes with what is stored.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Opaque so that codes can be added without breaking callers' `switch`es.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        public static let notFound = Code(name: "not_found")
        public static let conflict = Code(name: "conflict")
        /// Input that can never be stored, whatever else is stored.
        public static let invalid = Code(name: "invalid")
        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

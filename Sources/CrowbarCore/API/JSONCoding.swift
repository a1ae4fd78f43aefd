import Foundation

extension JSONEncoder {
    /// The wire encoder of the API, the CLI and the tests: sorted keys and ISO 8601 dates, so output is stable.
    public static var crowbar: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    /// The wire decoder, matching ``JSONEncoder/crowbar``.
    public static var crowbar: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

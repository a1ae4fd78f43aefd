import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The API's bearer token, kept in a file readable by its owner only.
public enum APIToken {
    /// Reads the token at `path`, or creates one (64 hex digits) if there is no file. The file is
    /// created with mode 0600 from the start (never briefly readable by others); a file that
    /// exists but cannot be read is an error rather than a reason to replace the token.
    public static func loadOrCreate(at path: String) throws -> String {
        if FileManager.default.fileExists(atPath: path) {
            let token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path]) }
            return token
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: Data((token + "\n").utf8))
        return token
    }
}

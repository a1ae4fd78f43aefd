import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The API's bearer token, kept in a file readable by its owner only.
public enum APIToken {
    /// Reads the token at `path`, or creates one (64 hex digits). A new token is written whole to a private temporary
    /// file (mode 0600 from the start) and then linked into place, so a crash never leaves half a token; an empty
    /// file (left by a crash of an older crowbard) gets a new token, since no client can hold the one it never had. A
    /// file that cannot be read is an error rather than a reason to replace the token.
    public static func loadOrCreate(at path: String) throws -> String {
        for _ in 0..<3 {
            if FileManager.default.fileExists(atPath: path) {
                let token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                if !token.isEmpty { return token }
                try FileManager.default.removeItem(atPath: path)
            }
            let token = generate()
            let temporary = path + ".new-" + generate().prefix(12)
            let descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o600)
            guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary]) }
            defer { unlink(temporary) }
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            try handle.write(contentsOf: Data((token + "\n").utf8))
            try handle.synchronize()
            // link(2) never replaces: a token another crowbard wrote meanwhile is read on the next turn.
            if link(temporary, path) == 0 { return token }
            guard errno == EEXIST else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        }
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
    }

    private static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

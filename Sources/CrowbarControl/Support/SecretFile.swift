import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A secret crowbard makes once and keeps in a file its owner alone can read (the API token, the repository key).
public enum SecretFile {
    /// The text of the file at `path`, or `make()`'s, written there first. A new secret is written whole to a private
    /// temporary file (mode 0600 from the start) and then linked into place, so a crash never leaves half of one; an
    /// empty file (left by a crash of an older crowbard) gets a new secret, since nobody can hold the one never written.
    /// A file that cannot be read is an error rather than a reason to replace the secret.
    public static func loadOrCreate(at path: String, make: () -> String) throws -> String {
        for _ in 0..<3 {
            if FileManager.default.fileExists(atPath: path) {
                let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                if !text.isEmpty { return text }
                try FileManager.default.removeItem(atPath: path)
            }
            let text = make()
            let temporary = path + ".new-" + randomHex(bytes: 6)
            let descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o600)
            guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary]) }
            defer { unlink(temporary) }
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            try handle.write(contentsOf: Data((text + "\n").utf8))
            try handle.synchronize()
            // link(2) never replaces: a secret another crowbard wrote meanwhile is read on the next turn.
            if link(temporary, path) == 0 { return text }
            guard errno == EEXIST else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        }
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
    }

    /// `bytes` bytes from the system's cryptographic generator, as hex digits.
    public static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

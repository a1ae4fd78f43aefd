import CrowbarCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The folder TFTP serves, and the only place files are opened from: names are checked lexically, then their real
/// path (symlinks resolved) must still lie inside the root, and only regular files are served.
struct TFTPFileRoot: Sendable {
    let realRoot: String

    init(_ root: String) throws {
        guard let resolved = Self.realPath(root) else { throw TFTPRefusal(.fileNotFound, "TFTP root \(root) does not exist", counter: "no-root") }
        realRoot = resolved
    }

    /// An open, read-only regular file.
    final class OpenFile: Sendable {
        let descriptor: CInt
        let size: Int

        init(descriptor: CInt, size: Int) {
            self.descriptor = descriptor
            self.size = size
        }

        /// Reads `range` into `pointer`; returns the bytes read, or -1 on a read error.
        func read(_ range: Range<Int>, into pointer: UnsafeMutableRawBufferPointer) -> Int {
            pread(descriptor, pointer.baseAddress, range.count, off_t(range.lowerBound))
        }

        func close() { _ = Glibc.close(descriptor) }
    }

    func open(_ name: String) throws(TFTPRefusal) -> OpenFile {
        guard let parts = TFTPPath.components(of: name) else {
            throw TFTPRefusal(.accessViolation, "\(name) is not a relative path inside the root", counter: "outside-root")
        }
        guard let resolved = Self.realPath(realRoot + "/" + parts.joined(separator: "/")) else {
            throw TFTPRefusal(.fileNotFound, "\(name) not found", counter: "not-found")
        }
        guard resolved.hasPrefix(realRoot + "/") else {
            throw TFTPRefusal(.accessViolation, "\(name) leads outside the root", counter: "outside-root")
        }
        let descriptor = Glibc.open(resolved, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw TFTPRefusal(.accessViolation, "\(name) cannot be opened", counter: "unreadable") }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            _ = Glibc.close(descriptor)
            throw TFTPRefusal(.accessViolation, "\(name) is not a regular file", counter: "not-a-file")
        }
        return OpenFile(descriptor: descriptor, size: Int(status.st_size))
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

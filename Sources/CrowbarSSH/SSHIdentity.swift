import Foundation
import Subprocess

/// crowbard's own SSH key pair (ed25519: the libssh2 here signs RSA with SHA-1, which OpenSSH refuses).
public struct SSHIdentity: Sendable, Hashable {
    public var privateKeyPath: String
    public var publicKeyPath: String

    public init(privateKeyPath: String, publicKeyPath: String) {
        self.privateKeyPath = privateKeyPath
        self.publicKeyPath = publicKeyPath
    }

    /// The public key line (`ssh-ed25519 AAAA… comment`), for nodes' `authorized_keys`.
    public func publicKey() throws(SSHError) -> String {
        do {
            return try String(contentsOfFile: publicKeyPath, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw SSHError(.identity, "cannot read public key \(publicKeyPath): \(error.localizedDescription)")
        }
    }

    /// Uses `<directory>/id_ed25519` if it exists, else creates it (mode 0600) with `ssh-keygen`.
    public static func loadOrCreate(in directory: String) async throws(SSHError) -> SSHIdentity {
        let identity = SSHIdentity(
            privateKeyPath: directory + "/id_ed25519", publicKeyPath: directory + "/id_ed25519.pub")
        let files = FileManager.default
        if files.fileExists(atPath: identity.privateKeyPath), files.fileExists(atPath: identity.publicKeyPath) {
            return identity
        }
        do {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try? files.removeItem(atPath: identity.privateKeyPath)
            try? files.removeItem(atPath: identity.publicKeyPath)
            let keygen = try await run(
                .name("ssh-keygen"),
                arguments: ["-q", "-t", "ed25519", "-N", "", "-C", "crowbard", "-f", identity.privateKeyPath],
                output: .discarded, error: .string(limit: 4096))
            guard keygen.terminationStatus.isSuccess else {
                throw SSHError(.identity, "ssh-keygen \(keygen.terminationStatus): \(keygen.standardError)")
            }
        } catch let error as SSHError {
            throw error
        } catch {
            throw SSHError(.identity, "cannot create key pair in \(directory): \(error.localizedDescription)")
        }
        return identity
    }
}

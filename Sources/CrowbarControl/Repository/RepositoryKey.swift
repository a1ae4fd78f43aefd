import Crypto
import Foundation

/// crowbard's OpenPGP key for the offline Debian repository it serves: an Ed25519 key (OpenPGP v4, EdDSA) made at the
/// first start and kept in the data folder. Nodes trust this key alone for that repository (`signed-by`), and get it
/// only through trusted channels: the install plan (behind the node's one-time token) and the provisioner's recipe
/// (over SSH to the node's pinned host key). crowbard signs the repository's `Release` as it serves it, so a repository
/// rebuilt on the admin node is signed again, and one changed on the way to a node fails apt's check.
///
/// Only what apt's gpgv needs is written: a public key with one user ID and its self-signature, and detached
/// signatures of binary documents (RFC 4880 §5.2, §5.5, §11.1; EdDSA as in RFC 9580 §5.5.5.5 "legacy").
public struct RepositoryKey: Sendable {
    /// The user ID the key carries.
    static let userID = "crowbar offline repository"
    /// The private key's 32 bytes (Crypto's key type is not Sendable; it is made from these to sign).
    private let seed: Data
    private let publicKey: [UInt8]
    /// When the key was made, seconds since 1970 (part of its fingerprint).
    let created: UInt32

    /// The key of `seed`; nil when the bytes are not an Ed25519 private key.
    init?(seed: Data, created: UInt32) {
        guard let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { return nil }
        self.seed = seed
        self.publicKey = Array(privateKey.publicKey.rawRepresentation)
        self.created = created
    }

    /// The key's v4 fingerprint: the SHA-1 of its public key packet (how gpg and apt name it).
    public var fingerprint: String { fingerprintBytes.map { String(format: "%02X", $0) }.joined() }

    /// The public key as a binary keyring: the key, its user ID and the self-signature that binds them.
    public var publicKeyring: Data {
        let userID = Array(Self.userID.utf8)
        let certified = keyHashPrefix + [0xB4] + bytes(UInt32(userID.count)) + userID
        let binding = signaturePacket(type: 0x13, over: certified, time: created, extraHashed: subpacket(27, [0x03]))
        return Data(packet(tag: 6, publicKeyBody) + packet(tag: 13, userID) + binding)
    }

    /// The public key ASCII-armored, as apt reads it from a `signed-by` file ending in `.asc`.
    public var armoredPublicKey: String { armor(publicKeyring, as: "PUBLIC KEY BLOCK") }

    /// A detached signature of `document` made at `time`, armored (as `Release.gpg`: apt refuses binary ones).
    public func signature(of document: Data, at time: Date) -> String {
        armor(Data(signaturePacket(type: 0x00, over: Array(document), time: UInt32(clamping: Int64(time.timeIntervalSince1970)))), as: "SIGNATURE")
    }

    /// ASCII armor (RFC 4880 §6.2): base64 lines of 64 characters and the CRC-24 checksum between BEGIN and END lines.
    private func armor(_ data: Data, as label: String) -> String {
        let lines = data.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        let checksum = Data(bytes(Self.crc24(Array(data))).dropFirst()).base64EncodedString()
        return "-----BEGIN PGP \(label)-----\n\n\(lines)\n=\(checksum)\n-----END PGP \(label)-----\n"
    }

    // MARK: - Packets

    private var publicKeyBody: [UInt8] {
        // Version 4, creation time, EdDSA (22), the Ed25519 curve's OID, the point: 0x40 then the 32-byte key.
        let ed25519OID: [UInt8] = [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01]
        return [4] + bytes(created) + [22, UInt8(ed25519OID.count)] + ed25519OID + mpi([0x40] + publicKey)
    }

    /// What a signature over the key hashes first: 0x99, the body's two-byte length, the body.
    private var keyHashPrefix: [UInt8] { [0x99] + bytes(UInt16(publicKeyBody.count)) + publicKeyBody }

    private var fingerprintBytes: [UInt8] { Array(Insecure.SHA1.hash(data: keyHashPrefix)) }

    /// A v4 signature packet over `data` with SHA-256: creation time and issuer fingerprint hashed (with
    /// `extraHashed`), the issuer's key ID unhashed; the Ed25519 signature is made over the digest.
    private func signaturePacket(type: UInt8, over data: [UInt8], time: UInt32, extraHashed: [UInt8] = []) -> [UInt8] {
        let hashedSubpackets = subpacket(2, bytes(time)) + subpacket(33, [4] + fingerprintBytes) + extraHashed
        let hashed: [UInt8] = [4, type, 22, 8] + bytes(UInt16(hashedSubpackets.count)) + hashedSubpackets
        var hasher = SHA256()
        hasher.update(data: data)
        hasher.update(data: hashed)
        hasher.update(data: [4, 0xFF] + bytes(UInt32(hashed.count)))
        let digest = Array(hasher.finalize())
        // The seed was checked when the key was made, and BoringSSL's Ed25519 signing has no error path.
        let signature = Array((try? Curve25519.Signing.PrivateKey(rawRepresentation: seed).signature(for: digest)) ?? Data())
        precondition(signature.count == 64, "Ed25519 signature")
        let unhashed = subpacket(16, Array(fingerprintBytes.suffix(8)))
        let body = hashed + bytes(UInt16(unhashed.count)) + unhashed + digest.prefix(2) + mpi(signature[..<32]) + mpi(signature[32...])
        return packet(tag: 2, body)
    }

    /// A packet in the new format (one- or two-octet length: every packet here is shorter than 8,384 bytes).
    private func packet(tag: UInt8, _ body: [UInt8]) -> [UInt8] {
        let length = body.count
        precondition(length < 8384, "packet too long for a two-octet length")
        let header: [UInt8] = length < 192 ? [UInt8(length)] : [UInt8((length - 192) >> 8 + 192), UInt8((length - 192) & 0xFF)]
        return [0xC0 | tag] + header + body
    }

    private func subpacket(_ type: UInt8, _ data: [UInt8]) -> [UInt8] { [UInt8(data.count + 1), type] + data }

    /// A multiprecision integer: its length in bits, then its bytes without leading zeros.
    private func mpi<Bytes: Collection<UInt8>>(_ value: Bytes) -> [UInt8] {
        let stripped = Array(value.drop { $0 == 0 })
        let bits = stripped.first.map { (stripped.count - 1) * 8 + (8 - $0.leadingZeroBitCount) } ?? 0
        return bytes(UInt16(bits)) + stripped
    }

    private func bytes(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    private func bytes(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (24 - 8 * $0)) & 0xFF) } }

    /// The armor checksum (RFC 4880 §6.1).
    static func crc24(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xB704CE
        for byte in data {
            crc ^= UInt32(byte) << 16
            for _ in 0..<8 {
                crc <<= 1
                if crc & 0x100_0000 != 0 { crc ^= 0x186_4CFB }
            }
        }
        return crc & 0xFF_FFFF
    }
}

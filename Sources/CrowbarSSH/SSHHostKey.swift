import CLibSSH2
import CrowbarCore
import Foundation

/// Host key algorithms in order of preference: ed25519 first, so a node is pinned by the same key type each time.
let preferredHostKeyTypes =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa"

/// The key the server presented in the handshake, with OpenSSH's fingerprint format.
func presentedHostKey(_ session: OpaquePointer) throws(SSHError) -> HostKeyPin {
    var length = 0
    var type: Int32 = 0
    guard libssh2_session_hostkey(session, &length, &type) != nil,
          let digest = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256)
    else { throw SSHError(.handshake, "server presented no host key") }
    let bytes = Data(bytes: digest, count: 32).base64EncodedString()
    return HostKeyPin(type: hostKeyTypeName(type), fingerprint: "SHA256:" + bytes.trimmingCharacters(in: ["="]))
}

func hostKeyTypeName(_ type: Int32) -> String {
    switch type {
    case LIBSSH2_HOSTKEY_TYPE_RSA: "ssh-rsa"
    case LIBSSH2_HOSTKEY_TYPE_DSS: "ssh-dss"
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: "ecdsa-sha2-nistp256"
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: "ecdsa-sha2-nistp384"
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: "ecdsa-sha2-nistp521"
    case LIBSSH2_HOSTKEY_TYPE_ED25519: "ssh-ed25519"
    default: "unknown-\(type)"
    }
}

import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The API's TLS identity for `crowbard --tls`: a P-256 key and a self-signed certificate made at the first start and
/// kept in the data folder (`api-cert.pem`, world-readable: it is public; `api-key.pem`, 0600). Clients trust this
/// certificate alone — it is the pin — read from the same folder (`crowbar --ca-file`). Delete both files to make a
/// new pair (for another host name).
public struct APICertificate: Sendable {
    public static let certificateFile = "api-cert.pem"
    public static let keyFile = "api-key.pem"

    /// The certificate, PEM.
    public let certificatePEM: String
    let keyPEM: String

    /// The pair in `folder`, made first when it is not there, naming `hosts` (names or addresses) besides localhost.
    public static func loadOrCreate(in folder: String, hosts: [String], now: Date = Date()) throws -> APICertificate {
        let certificatePath = folder + "/" + certificateFile, keyPath = folder + "/" + keyFile
        if let certificate = try? String(contentsOfFile: certificatePath, encoding: .utf8),
            let key = try? String(contentsOfFile: keyPath, encoding: .utf8)
        {
            return APICertificate(certificatePEM: certificate, keyPEM: key)
        }
        let made = try make(hosts: hosts, now: now)
        try Data(made.keyPEM.utf8).write(to: URL(fileURLWithPath: keyPath), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
        try Data(made.certificatePEM.utf8).write(to: URL(fileURLWithPath: certificatePath), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: certificatePath)
        return made
    }

    /// A new key and a self-signed certificate valid for ten years, for localhost, the loopback addresses and `hosts`.
    static func make(hosts: [String], now: Date) throws -> APICertificate {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("crowbard") }
        var alternativeNames: [GeneralName] = [.dnsName("localhost")]
        for host in Set(hosts + ["127.0.0.1", "::1"]).sorted() {
            if let address = addressBytes(host) {
                alternativeNames.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(address))))
            } else if !host.isEmpty, host != "localhost" {
                alternativeNames.append(.dnsName(host))
            }
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                // Its own issuer: clients take it as their one trust root, which BoringSSL accepts only from a CA.
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(alternativeNames)
            },
            issuerPrivateKey: .init(key))
        return APICertificate(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
    }

    /// The server side of TLS with this pair.
    public func serverConfiguration() throws -> TLSConfiguration {
        TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)))
    }

    /// An IPv4 or IPv6 address's bytes; nil for a name.
    private static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

import AsyncHTTPClient
import CrowbarCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Redfish over HTTPS with basic authentication: `ComputerSystem.Reset` for power, `Boot.BootSourceOverride*` for
/// the next boot device. The BMC's certificate must match its pinned SHA-256 fingerprint (``PinnedCertificate``);
/// nothing else is trusted, and host names are not checked (BMCs answer on addresses with self-signed certificates).
public struct RedfishDriver: PowerDriver {
    public let bmc: BMC
    public let timeout: Duration
    private let http: HTTPClient

    public init(bmc: BMC, timeout: Duration = .seconds(15), http: HTTPClient = .shared) {
        self.bmc = bmc
        self.timeout = timeout
        self.http = http
    }

    private var port: Int { bmc.port ?? 443 }
    private var target: String { "BMC \(bmc.address):\(port)" }

    public func state() async throws -> PowerState {
        let session = try await open()
        let system = try await session.system()
        switch system["PowerState"] as? String {
        // A transition reports where it is going: a machine powering on has been told to be on.
        case "On", "PoweringOn": return .on
        case "Off", "PoweringOff": return .off
        case let other: throw PowerFailure(.failed, "\(target) reports PowerState \(other ?? "nothing")")
        }
    }

    public func perform(_ change: PowerChange) async throws {
        let session = try await open()
        let system = try await session.system()
        let reset = system["Actions"].flatMap { ($0 as? [String: Any])?["#ComputerSystem.Reset"] as? [String: Any] }
        guard let action = reset?["target"] as? String else { throw PowerFailure(.failed, "\(target) offers no ComputerSystem.Reset action") }
        let allowed = reset?["ResetType@Redfish.AllowableValues"] as? [String]
        let type: String
        switch change {
        case .on: type = "On"
        case .off: type = "ForceOff"
        case .reset: type = "ForceRestart"
        case .cycle:
            if system["PowerState"] as? String == "Off" { type = "On" }
            else { type = allowed?.contains("PowerCycle") == true ? "PowerCycle" : "ForceRestart" }
        }
        if let allowed, !allowed.contains(type) {
            throw PowerFailure(.failed, "\(target) does not allow ResetType \(type) (allowed: \(allowed.joined(separator: ", ")))")
        }
        _ = try await session.send(.POST, action, body: ["ResetType": type])
    }

    public func setBootDevice(_ device: BootDevice, persistent: Bool) async throws {
        let session = try await open()
        let path = try await session.systemPath()
        let boot: [String: Any] = [
            "BootSourceOverrideTarget": device == .pxe ? "Pxe" : "Hdd",
            "BootSourceOverrideEnabled": persistent ? "Continuous" : "Once",
        ]
        _ = try await session.send(.PATCH, path, body: ["Boot": boot])
    }

    /// Checks the certificate against the pin and answers a session whose requests trust that certificate alone.
    private func open() async throws -> Session {
        guard let pin = bmc.certificateFingerprint.flatMap(CertificateFingerprint.init) else {
            throw PowerFailure(.failed, "\(target) has no pinned certificate fingerprint: refusing to talk to it")
        }
        let certificate = try await PinnedCertificate.fetch(host: bmc.address, port: port, pin: pin, timeout: timeout)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([certificate])
        tls.certificateVerification = .noHostnameVerification
        return Session(driver: self, tls: tls)
    }

    /// Requests to one BMC over a verified TLS configuration.
    private struct Session {
        let driver: RedfishDriver
        let tls: TLSConfiguration

        func systemPath() async throws -> String {
            if let path = driver.bmc.systemPath { return path }
            let systems = try await send(.GET, "/redfish/v1/Systems")
            let members = (systems["Members"] as? [[String: Any]])?.compactMap { $0["@odata.id"] as? String } ?? []
            guard members.count == 1, let only = members.first else {
                throw PowerFailure(.failed, "\(driver.target) has \(members.count) systems: set the BMC's systemPath to one of \(members.joined(separator: ", "))")
            }
            return only
        }

        func system() async throws -> [String: Any] { try await send(.GET, try await systemPath()) }

        /// Sends a request and answers the JSON object of a 2xx answer (empty for 204); maps every other outcome
        /// to a ``PowerFailure``.
        func send(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil) async throws -> [String: Any] {
            let bmc = driver.bmc
            guard path.hasPrefix("/redfish/v1") else { throw PowerFailure(.failed, "\(driver.target) names \(path), which is not below /redfish/v1") }
            var request = HTTPClientRequest(url: "https://\(bmc.address):\(bmc.port ?? 443)\(path)")
            request.method = method
            request.tlsConfiguration = tls
            let credentials = Data("\(bmc.username):\(bmc.password)".utf8).base64EncodedString()
            request.headers.add(name: "Authorization", value: "Basic \(credentials)")
            request.headers.add(name: "Accept", value: "application/json")
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
            }
            let response: HTTPClientResponse
            var bytes: ByteBuffer
            do {
                response = try await driver.http.execute(request, timeout: .milliseconds(driver.timeout.wholeMilliseconds))
                bytes = try await response.body.collect(upTo: 4 * 1024 * 1024)
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
                throw PowerFailure(.timeout, "\(driver.target) did not answer \(method) \(path) within \(driver.timeout)")
            } catch where error is NIOSSLError || error is BoringSSLError {
                // The pinned certificate is the only trust root, and it is checked in full (dates too).
                throw PowerFailure(.failed, "\(driver.target): TLS with its pinned certificate failed (an expired certificate is refused: renew it on the BMC and pin the new one): \(error)")
            } catch {
                throw PowerFailure(.unreachable, "\(driver.target) failed \(method) \(path): \(error)")
            }
            let data = Data(bytes.readBytes(length: bytes.readableBytes) ?? [])
            switch response.status.code {
            case 200..<300:
                guard !data.isEmpty else { return [:] }
                return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            case 401, 403:
                throw PowerFailure(.authRefused, "\(driver.target) refused the credentials of user \(bmc.username) (\(response.status.code))")
            default:
                throw PowerFailure(.failed, "\(driver.target) answered \(method) \(path) with \(response.status.code): \(Self.redfishMessage(data))")
            }
        }

        /// The message of a Redfish error body, or its first 200 characters.
        static func redfishMessage(_ data: Data) -> String {
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            if let error = object?["error"] as? [String: Any] {
                let extended = (error["@Message.ExtendedInfo"] as? [[String: Any]])?.compactMap { $0["Message"] as? String } ?? []
                return ([error["message"] as? String].compactMap { $0 } + extended).joined(separator: " ")
            }
            return String(String(decoding: data, as: UTF8.self).prefix(200))
        }
    }
}

import ArgumentParser
import CrowbarAPI
import CrowbarBoot
import CrowbarControl
import CrowbarCore
import CrowbarSSH
import CrowbarStore
import Foundation
import Logging
import ServiceLifecycle

/// crowbard's settings in force (``Crowbard/settings()``): each flag given, else its CROWBAR_* variable, else the
/// settings file, else its default.
struct DaemonSettings {
    var dataDir: String
    var listen: ListenAddress
    var barclamps: String
    var recipes: String
    var sshThreads: Int
    var stagingNiceness: Int
    var bootAddress: String?
    var bootInterface: String?
    var dhcpRelays: [String]
    var dhcpNewClientsPerSecond: Double
    var dhcpNewClientBurst: Int
    var bootHTTPPort: Int
    var bootFiles: String?
    var repository: String?
    var installTimeout: Int
    var tls: Bool
    var logLevel: Logger.Level
    var logFormat: LineLogHandler.Format
}

extension DaemonSettings {
    /// How staged package installs stay behind the steps; nil when `--staging-niceness 0`.
    func stagingPriority() throws -> StagingPriority? {
        guard (0...19).contains(stagingNiceness) else { throw ValidationError("--staging-niceness must be 0 to 19, not \(stagingNiceness)") }
        return stagingNiceness == 0 ? nil : StagingPriority(niceness: stagingNiceness)
    }

    /// What OS installs need, when crowbard serves boot (installers fetch their image from the HTTP boot service).
    func installSettings(identity: SSHIdentity, repositoryKey: RepositoryKey) throws -> InstallSettings? {
        guard let bootAddress else { return nil }
        guard installTimeout > 0 else { throw ValidationError("--install-timeout must be at least 1 minute") }
        return InstallSettings(
            images: OSImageDirectory(bootFiles: bootFiles ?? dataDir + "/boot"), endpoints: try bootEndpoints(bootAddress),
            authorizedKey: { try identity.publicKey() }, repositoryKey: repositoryKey.armoredPublicKey,
            sshAnswers: { address in
                await Task.detached { tcpPortAnswers(host: address.description) }.value
            },
            timeout: .seconds(installTimeout * 60))
    }

    private func bootEndpoints(_ bootAddress: String) throws -> BootEndpoints {
        guard let server = IPv4Address(bootAddress) else { throw ValidationError("--boot-address must be an IPv4 address") }
        return BootEndpoints(tftpServer: server, httpBase: "http://\(bootAddress):\(bootHTTPPort)")
    }

    /// DHCP, TFTP and the HTTP boot service, as the boot options ask.
    func bootServices(
        control: Control, database: CrowbarDatabase, counters: BootCounters?, signer: RepositorySigner, logger: Logger
    ) async throws -> [any Service] {
        let states = control.health.states
        guard let bootAddress, let counters else {
            if bootInterface != nil { throw ValidationError("--boot-interface needs --boot-address") }
            if repository != nil { throw ValidationError("--repository needs --boot-address") }
            return []
        }
        let files = bootFiles ?? dataDir + "/boot"
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        let endpoints = try bootEndpoints(bootAddress)
        let serverAddress = endpoints.tftpServer
        var services: [(String, any Service)] = [
            ("tftp", TFTPServer(root: files, host: bootAddress, counters: counters, logger: logger)),
            ("boot-http", buildBootApplication(boot: control.boot, install: control.install, endpoints: endpoints, files: files,
                repository: repository.map { ServedRepository(folder: $0, signer: signer) }, host: bootAddress, port: bootHTTPPort, logger: logger)),
        ]
        if let bootInterface {
            let subnets = try await control.networks.inForce().compactMap(DHCPSubnet.init(network:))
            guard subnets.contains(where: { $0.contains(serverAddress) }) else { throw ValidationError("no network with a dhcp range holds \(bootAddress)") }
            let relays = try dhcpRelays.map { text in
                guard let address = IPv4Address(text) else { throw ValidationError("--dhcp-relay must be an IPv4 address, not '\(text)'") }
                return address
            }
            guard dhcpNewClientsPerSecond >= 0, dhcpNewClientBurst >= 1 else {
                throw ValidationError("--dhcp-new-clients-per-second must be 0 (no limit) or more and --dhcp-new-client-burst at least 1")
            }
            let configuration = DHCPServerConfiguration(
                serverAddress: serverAddress, subnets: subnets, endpoints: endpoints, relays: Set(relays),
                newClients: dhcpNewClientsPerSecond == 0 ? nil : NewClientLimit(perSecond: dhcpNewClientsPerSecond, burst: dhcpNewClientBurst))
            services.append(("dhcp", DHCPServer(configuration: configuration, interface: bootInterface, database: database, counters: counters, logger: logger)))
        }
        return services.map { name, service in
            WatchedService(name, AfterAddressAppears(bootAddress, run: service, name: name, states: states, logger: logger), states: states)
        }
    }
}

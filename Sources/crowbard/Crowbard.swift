import ArgumentParser
import CrowbarAPI
import CrowbarBoot
import CrowbarControl
import CrowbarCore
import CrowbarOrchestrator
import CrowbarPower
import CrowbarSSH
import CrowbarStore
import Foundation
import Logging
import ServiceLifecycle

/// The admin daemon: the REST API and the orchestrator over the store, under one service group with
/// graceful shutdown.
@main
struct Crowbard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The Crowbar admin daemon.",
        discussion: """
            Serves the REST API (/api/v1) from a SQLite database in the data folder and applies committed
            proposals over SSH. On first start it writes an API token to <data-dir>/api-token (mode 0600),
            which the crowbar CLI reads, an ed25519 key pair to <data-dir>/ssh/id_ed25519, whose public
            half nodes must accept for root, and the OpenPGP key the offline repository is signed with
            (<data-dir>/repository-key), which nodes get with their install plan and the provisioner's recipe.

            Example:
              crowbard --data-dir /var/lib/crowbar --listen 127.0.0.1:3000 --barclamps /usr/share/crowbar/barclamps
            """)

    @Option(help: "Folder for the database and the API token.")
    var dataDir: String = ProcessInfo.processInfo.environment["CROWBAR_DATA_DIR"] ?? "/var/lib/crowbar"

    @Option(help: "Address and port to listen on (port 0 picks a free one).")
    var listen: String = "127.0.0.1:3000"

    @Option(help: "Folder of barclamp definitions (*.yml).")
    var barclamps: String = "barclamps"

    @Option(help: "Folder of recipes (<barclamp>/<role>.yml and <barclamp>/templates/).")
    var recipes: String = "recipes"

    @Option(help: "Threads that drive SSH sessions (the number of nodes worked on at once).")
    var sshThreads: Int = 32

    @Option(help: "Address of crowbard on the admin network: enables TFTP (port 69) and HTTP boot (--boot-http-port) there.")
    var bootAddress: String?

    @Option(help: "Admin network interface to serve DHCP on (port 67); needs --boot-address.")
    var bootInterface: String?

    @Option(
        name: .customLong("dhcp-relay"),
        help: "A DHCP relay agent's address (repeatable): only these relays' messages (giaddr set) are answered.")
    var dhcpRelays: [String] = []

    @Option(help: "New DHCP clients (no lease, offer or reservation) offered an address per second, per interface or relay; 0: no limit.")
    var dhcpNewClientsPerSecond: Double = NewClientLimit.standard.perSecond

    @Option(help: "New DHCP clients offered an address at once (a rack powered on together), per interface or relay.")
    var dhcpNewClientBurst: Int = NewClientLimit.standard.burst

    @Option(help: "Port of the HTTP boot service (iPXE scripts, boot files, discovery registration).")
    var bootHTTPPort: Int = 8091

    @Option(help: "Folder of boot files served by TFTP and at /boot/files/ (default: <data-dir>/boot).")
    var bootFiles: String?

    @Option(help: "Offline Debian repository (iso/build-repository.sh) served to nodes at /debian/ by the HTTP boot service.")
    var repository: String?

    @Option(help: "Minutes an OS install may take, from its start to the installer's report, before the node goes to problem.")
    var installTimeout: Int = 30

    @Flag(
        inversion: .prefixedNo,
        help: """
            Serve the API over HTTPS with a certificate made at the first start (<data-dir>/api-cert.pem, which clients \
            pin). On by default unless --listen is a loopback address; --no-tls serves plain HTTP there anyway (behind a \
            TLS proxy).
            """)
    var tls: Bool?

    @Option(help: "Once the API listens, write its URL (http(s)://HOST:PORT) to this file: the readiness signal for scripts.")
    var readyFile: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "crowbard")
        logger.logLevel = logLevel
        guard let address = ListenAddress(listen) else { throw ValidationError("--listen must be HOST:PORT, got '\(listen)'") }
        let (host, port) = (address.host, address.port)
        let tls = self.tls ?? !address.isLoopback
        if !tls, !address.isLoopback {
            logger.warning("the API is plain HTTP on \(listen), reachable from the network: tokens and secrets travel in clear (--no-tls)")
        }
        let catalog: BarclampCatalog
        do {
            catalog = try BarclampDirectory.load(barclamps)
        } catch {
            throw ValidationError("cannot load barclamps from \(barclamps): \(error)")
        }
        // crowbard's alone: the database holds BMC passwords and proposal secrets, the folder the SSH key and token.
        // Everything it creates is private (SQLite gives the -wal and -shm files the database's mode).
        umask(0o077)
        for item in try DataDirectory.secure(dataDir) {
            logger.warning("data file was readable by others; tightened", metadata: ["file": "\(item)"])
        }
        let database = try CrowbarDatabase.open(path: dataDir + "/crowbar.sqlite")
        let tokenPath = dataDir + "/api-token"
        let token = try SecretFile.loadOrCreate(at: tokenPath) { SecretFile.randomHex(bytes: 32) }
        logger.info("API token file: \(tokenPath)")
        let identity = try await SSHIdentity.loadOrCreate(in: dataDir + "/ssh")
        let repositoryKey = try RepositoryKey.loadOrCreate(at: dataDir + "/repository-key")
        logger.info("offline repository signing key \(repositoryKey.fingerprint)")
        let pool = SSHWorkerPool(threadCount: sshThreads)
        let orchestrator = Orchestrator(
            database: database, catalog: catalog, recipes: RecipeBook(root: recipes),
            transport: ConnectionCache(identity: identity, pool: pool), maxParallelNodes: sshThreads,
            admin: RecipeAdmin(repositoryKey: repositoryKey.armoredPublicKey), logger: logger)
        let bootCounters = bootAddress.map { _ in BootCounters() }
        var countersSnapshot: (@Sendable () -> [String: Int])?
        if let bootCounters { countersSnapshot = { bootCounters.snapshot } }
        let control = Control(
            catalog: catalog, database: database, scheduler: orchestrator, powerDrivers: CrowbarPowerDrivers(),
            install: try installSettings(identity: identity, repositoryKey: repositoryKey), bootCounters: countersSnapshot, logger: logger)
        let certificate = try tls ? APICertificate.loadOrCreate(in: dataDir, hosts: [host, ProcessInfo.processInfo.hostName]) : nil
        let app = try buildApplication(
            control: control, token: token, host: host, port: port, tls: try certificate?.serverConfiguration(),
            logger: logger
        ) { [readyFile, logger, tls] bound in
            let url = "\(tls ? "https" : "http")://\(host):\(bound)"
            FileHandle.standardOutput.write(Data("crowbard listening on \(url)\n".utf8))
            if let readyFile {
                // Written whole, then renamed: a reader never sees half a URL.
                do {
                    try Data((url + "\n").utf8).write(to: URL(fileURLWithPath: readyFile), options: .atomic)
                } catch {
                    logger.error("cannot write the ready file", metadata: ["file": "\(readyFile)", "error": "\(error)"])
                }
            }
        }
        let bootServices = try await makeBootServices(
            control: control, database: database, counters: bootCounters, signer: RepositorySigner(key: repositoryKey), logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [orchestrator, control.batchRunner, InstallWatcher(install: control.install, logger: logger), app] + bootServices,
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        if let readyFile { try? FileManager.default.removeItem(atPath: readyFile) }
        try await group.run()
        if let readyFile { try? FileManager.default.removeItem(atPath: readyFile) }
        await pool.shutdown()
    }

    /// What OS installs need, when crowbard serves boot (installers fetch their image from the HTTP boot service).
    private func installSettings(identity: SSHIdentity, repositoryKey: RepositoryKey) throws -> InstallSettings? {
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
    private func makeBootServices(
        control: Control, database: CrowbarDatabase, counters: BootCounters?, signer: RepositorySigner, logger: Logger
    ) async throws -> [any Service] {
        guard let bootAddress, let counters else {
            if bootInterface != nil { throw ValidationError("--boot-interface needs --boot-address") }
            if repository != nil { throw ValidationError("--repository needs --boot-address") }
            return []
        }
        let files = bootFiles ?? dataDir + "/boot"
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        let endpoints = try bootEndpoints(bootAddress)
        let serverAddress = endpoints.tftpServer
        var services: [any Service] = [
            TFTPServer(root: files, host: bootAddress, counters: counters, logger: logger),
            buildBootApplication(boot: control.boot, install: control.install, endpoints: endpoints, files: files,
                repository: repository.map { ServedRepository(folder: $0, signer: signer) }, host: bootAddress, port: bootHTTPPort, logger: logger),
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
            services.append(DHCPServer(configuration: configuration, interface: bootInterface, database: database, counters: counters, logger: logger))
        }
        return services.map { AfterAddressAppears(bootAddress, run: $0, logger: logger) }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

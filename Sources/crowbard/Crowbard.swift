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
import Metrics
import Prometheus
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
              crowbard --config /etc/crowbar/crowbard.yml     (what the crowbard service runs)
            """,
        version: CrowbarVersion.current)

    @Option(help: "Settings file: YAML whose keys are these flags' names. A flag, or its CROWBAR_* environment variable, overrides it.")
    var config: String = SettingsFile.defaultPath

    @Option(help: "Folder for the database, the API token and crowbard's keys (default /var/lib/crowbar).")
    var dataDir: String?

    @Option(help: "Address and port to listen on (port 0 picks a free one; default 127.0.0.1:3000).")
    var listen: String?

    @Option(help: "Folder of barclamp definitions (*.yml; default ./barclamps).")
    var barclamps: String?

    @Option(help: "Folder of recipes (<barclamp>/<role>.yml and <barclamp>/templates/; default ./recipes).")
    var recipes: String?

    @Option(help: "Threads that drive SSH sessions (the number of nodes worked on at once; default 32).")
    var sshThreads: Int?

    @Option(
        help: """
            Nice value (1-19) of the package installs staged ahead on a node no step is applying to, until a step there \
            waits for them, where nodes share CPUs (a lab). 0 (the default): the steps' priority; no gain was measured.
            """)
    var stagingNiceness: Int?

    @Option(help: "Address of crowbard on the admin network: enables TFTP (port 69) and HTTP boot (--boot-http-port) there.")
    var bootAddress: String?

    @Option(help: "Admin network interface to serve DHCP on (port 67); needs --boot-address.")
    var bootInterface: String?

    @Option(
        name: .customLong("dhcp-relay"),
        help: "A DHCP relay agent's address (repeatable): only these relays' messages (giaddr set) are answered.")
    var dhcpRelays: [String] = []

    @Option(help: "New DHCP clients (no lease, offer or reservation) offered an address per second, per interface or relay; 0: no limit (default 50).")
    var dhcpNewClientsPerSecond: Double?

    @Option(help: "New DHCP clients offered an address at once (a rack powered on together), per interface or relay (default 256).")
    var dhcpNewClientBurst: Int?

    @Option(help: "Port of the HTTP boot service (iPXE scripts, boot files, discovery registration; default 8091).")
    var bootHTTPPort: Int?

    @Option(help: "Folder of boot files served by TFTP and at /boot/files/ (default: <data-dir>/boot).")
    var bootFiles: String?

    @Option(help: "Offline Debian repository (iso/build-repository.sh) served to nodes at /debian/ by the HTTP boot service.")
    var repository: String?

    @Option(help: "Minutes an OS install may take, from its start to the installer's report, before the node goes to problem (default 30).")
    var installTimeout: Int?

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

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
    var logLevel: Logger.Level?

    @Option(help: "Log lines as text (with journald's priority prefix under systemd) or json, one object per line (default text).")
    var logFormat: LineLogHandler.Format?

    /// The settings in force: each flag given, else its CROWBAR_* variable, else the settings file, else its default.
    func settings() async throws -> DaemonSettings {
        let file = try await SettingsFile.load(path: config)
        func text(_ flag: String?, _ key: String) -> String? { flag ?? file.text(key) }
        func integer(_ flag: Int?, _ key: String) throws -> Int? { try flag ?? file.value(key, "an integer") { Int($0) } }
        let listenText = text(listen, "listen") ?? "127.0.0.1:3000"
        guard let address = ListenAddress(listenText) else { throw ValidationError("--listen must be HOST:PORT, got '\(listenText)'") }
        return DaemonSettings(
            dataDir: text(dataDir, "data-dir") ?? "/var/lib/crowbar", listen: address,
            barclamps: text(barclamps, "barclamps") ?? "barclamps", recipes: text(recipes, "recipes") ?? "recipes",
            sshThreads: try integer(sshThreads, "ssh-threads") ?? 32,
            stagingNiceness: try integer(stagingNiceness, "staging-niceness") ?? 0,
            bootAddress: text(bootAddress, "boot-address"), bootInterface: text(bootInterface, "boot-interface"),
            dhcpRelays: dhcpRelays.isEmpty ? file.texts("dhcp-relay") ?? [] : dhcpRelays,
            dhcpNewClientsPerSecond: try dhcpNewClientsPerSecond ?? file.value("dhcp-new-clients-per-second", "a number") { Double($0) }
                ?? NewClientLimit.standard.perSecond,
            dhcpNewClientBurst: try integer(dhcpNewClientBurst, "dhcp-new-client-burst") ?? NewClientLimit.standard.burst,
            bootHTTPPort: try integer(bootHTTPPort, "boot-http-port") ?? 8091,
            bootFiles: text(bootFiles, "boot-files"), repository: text(repository, "repository"),
            installTimeout: try integer(installTimeout, "install-timeout") ?? 30,
            tls: try tls ?? file.value("tls", "true or false") { Self.truth[$0.lowercased()] } ?? !address.isLoopback,
            logLevel: try logLevel ?? file.value("log-level", "a log level") { Logger.Level(rawValue: $0) } ?? .info,
            logFormat: try logFormat ?? file.value("log-format", "text or json") { LineLogHandler.Format(rawValue: $0) } ?? .text)
    }

    /// The spellings of true and false a setting may use (YAML's, and an environment variable's 1 and 0).
    static let truth = ["true": true, "yes": true, "on": true, "1": true, "false": false, "no": false, "off": false, "0": false]

    func run() async throws {
        let settings = try await settings()
        let journal = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil
        LoggingSystem.bootstrap { [format = settings.logFormat] in LineLogHandler(label: $0, format: format, journal: journal) }
        var logger = Logger(label: "crowbard")
        let metrics = MetricsEndpoint(registry: PrometheusCollectorRegistry())
        MetricsSystem.bootstrap(Self.metricsFactory(metrics.registry))
        logger.logLevel = settings.logLevel
        switch DescriptorLimit.raise() {
        case let limit? where limit > 1024: logger.debug("open descriptors: at most \(limit)")
        case let limit: logger.warning("open descriptors: at most \(limit.map(String.init) ?? "unknown"), too few for a rack PXE-booting at once (raise LimitNOFILE)")
        }
        let (host, port, tls, dataDir) = (settings.listen.host, settings.listen.port, settings.tls, settings.dataDir)
        if !tls, !settings.listen.isLoopback {
            logger.warning("the API is plain HTTP on \(host):\(port), reachable from the network: tokens and secrets travel in clear (--no-tls)")
        }
        let catalog: BarclampCatalog
        do {
            catalog = try BarclampDirectory.load(settings.barclamps)
        } catch {
            throw ValidationError("cannot load barclamps from \(settings.barclamps): \(error)")
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
        let pool = SSHWorkerPool(threadCount: settings.sshThreads)
        let connections = ConnectionCache(identity: identity, pool: pool)
        let orchestrator = Orchestrator(
            database: database, catalog: catalog, recipes: RecipeBook(root: settings.recipes),
            transport: connections, maxParallelNodes: settings.sshThreads,
            admin: RecipeAdmin(repositoryKey: repositoryKey.armoredPublicKey),
            stagingTransport: ConnectionCache(
                identity: identity, pool: SSHWorkerPool(threadCount: max(2, settings.sshThreads / 4)), purpose: "staging"),
            stagingPriority: try settings.stagingPriority(),
            logger: logger)
        let bootCounters = settings.bootAddress.map { _ in BootCounters() }
        var countersSnapshot: (@Sendable () -> [String: Int])?
        if let bootCounters { countersSnapshot = { bootCounters.snapshot } }
        let control = Control(
            catalog: catalog, database: database, scheduler: orchestrator, powerDrivers: CrowbarPowerDrivers(),
            install: try settings.installSettings(identity: identity, repositoryKey: repositoryKey), bootCounters: countersSnapshot,
            logger: logger)
        let certificate = try tls ? APICertificate.loadOrCreate(in: dataDir, hosts: [host, ProcessInfo.processInfo.hostName]) : nil
        let app = try buildApplication(
            control: control, token: token, host: host, port: port, tls: try certificate?.serverConfiguration(), metrics: metrics,
            logger: logger
        ) { [readyFile, logger] bound in
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
            SystemdNotify.send("READY=1\nSTATUS=API on \(url)")
        }
        let bootServices = try await settings.bootServices(
            control: control, database: database, counters: bootCounters, signer: RepositorySigner(key: repositoryKey), logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    WatchedService("orchestrator", orchestrator, states: control.health.states),
                    WatchedService("batch-runner", control.batchRunner, states: control.health.states),
                    WatchedService("install-watcher", InstallWatcher(install: control.install, logger: logger), states: control.health.states),
                    app,
                ] + bootServices,
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        if let readyFile { try? FileManager.default.removeItem(atPath: readyFile) }
        try await group.run()
        if let readyFile { try? FileManager.default.removeItem(atPath: readyFile) }
        await connections.closeAll()
        await pool.shutdown()
    }

    /// swift-metrics into Prometheus, with buckets for runs and node applies (seconds to an hour) beside the default
    /// ones (milliseconds to seconds) that API requests use.
    static func metricsFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        let long: [Duration] = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600].map { .seconds($0) }
        factory.durationHistogramBuckets = ["crowbar_run_duration_seconds": long, "crowbar_node_apply_duration_seconds": long]
        return factory
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LineLogHandler.Format: ExpressibleByArgument {}

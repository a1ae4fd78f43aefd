import CrowbarControl
import CrowbarCore
import Hummingbird
import NIOCore
import Logging

/// The boot service on the admin network: per-node iPXE scripts, what the discovery agent should do next, the
/// agent's registration, the installer's calls and the boot files. It is open (no API token), as PXE-booting
/// machines carry no credentials: nothing here reveals proposals or secrets, and a report through it comes from the
/// address of a current DHCP lease and is about that lease's MAC alone; it can only create a node or update one still
/// in discovery (no name, no SSH host key, no other MAC; the address is the lease, whatever the report says). The installer's calls carry the node's one-time install
/// token (`Authorization: Bearer`), which the installing node's boot script holds (``InstallService``).
struct BootRoutes {
    let boot: BootService
    let install: InstallService
    let endpoints: BootEndpoints
    /// Discovery reports per sender: a machine reports once per boot, a few times when it retries.
    let reports: SourceRateLimiter

    func register(on router: Router<CrowbarRequestContext>) {
        let group = router.group("boot")
        group.get(":mac/boot.ipxe") { _, context -> String in
            try await boot.script(mac: try bootMAC(context), source: context.peerAddress, endpoints: endpoints)
        }
        group.get(":mac/install/plan") { request, context -> String in
            try await install.plan(mac: try bootMAC(context), token: installToken(request), source: context.peerAddress)
        }
        group.post(":mac/install/progress") { request, context -> HTTPResponse.Status in
            let report = try await request.decodeBody(InstallProgressReport.self, context: context, limit: Self.reportLimit)
            try await install.progress(mac: try bootMAC(context), token: installToken(request), source: context.peerAddress, report: report)
            return .noContent
        }
        group.post(":mac/install/done") { request, context -> HTTPResponse.Status in
            let report = try await request.decodeBody(InstallDoneReport.self, context: context, limit: Self.reportLimit)
            _ = try await install.done(mac: try bootMAC(context), token: installToken(request), source: context.peerAddress, report: report)
            return .noContent
        }
        group.post(":mac/install/failed") { request, context -> HTTPResponse.Status in
            let report = try await request.decodeBody(InstallFailureReport.self, context: context, limit: Self.reportLimit)
            _ = try await install.failed(mac: try bootMAC(context), token: installToken(request), source: context.peerAddress, report: report)
            return .noContent
        }
        group.get(":mac/instruction") { _, context -> String in
            try await boot.agentInstruction(mac: try bootMAC(context)) + "\n"
        }
        group.post("discover") { request, context -> EditedResponse<Node> in
            if let source = context.peerAddress, !reports.allow(source) {
                throw APIError(.tooManyRequests, "too_many_requests", "too many discovery reports from \(source): at most one a second")
            }
            let report = try await request.decodeBody(DiscoveryReport.self, context: context, limit: DiscoveryReport.maxBytes)
            let (node, created) = try await boot.discover(report, source: context.peerAddress)
            return EditedResponse(status: created ? .created : .ok, response: node)
        }
    }

    /// The most an installer's report may hold (a host key line, a progress message).
    static let reportLimit = 4096

    private func installToken(_ request: Request) -> String? {
        guard let value = request.headers[.authorization], value.hasPrefix("Bearer ") else { return nil }
        return String(value.dropFirst("Bearer ".count))
    }

    private func bootMAC(_ context: CrowbarRequestContext) throws -> MACAddress {
        let text = try context.parameters.path("mac")
        guard let mac = MACAddress(text) else { throw APIError(.badRequest, "bad_request", "'\(text)' is not a MAC address", field: "mac") }
        return mac
    }
}

/// The nodes' offline Debian repository (iso/build-repository.sh) as the boot service serves it, at `/debian/`: its
/// `Release` signed by crowbard's key as it is fetched.
public struct ServedRepository: Sendable {
    public var folder: String
    public var signer: RepositorySigner

    public init(folder: String, signer: RepositorySigner) {
        self.folder = folder
        self.signer = signer
    }
}

/// The boot service's router: `BootRoutes`, the files under `files` at `/boot/files/` and, when given, the nodes'
/// offline Debian repository at `/debian/`. One sender may report 5 times at once, then `reportsPerSecond`.
public func buildBootRouter(
    boot: BootService, install: InstallService, endpoints: BootEndpoints, files: String, repository: ServedRepository? = nil,
    reportsPerSecond: Double = 1, logger: Logger
) -> Router<CrowbarRequestContext> {
    let router = Router(context: CrowbarRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: FileMiddleware(files, urlBasePath: "/boot/files", logger: logger))
    if let repository {
        router.add(middleware: RepositorySignatureMiddleware(repository: repository.folder, signer: repository.signer))
        router.add(middleware: FileMiddleware(repository.folder, urlBasePath: "/debian", logger: logger))
    }
    BootRoutes(boot: boot, install: install, endpoints: endpoints, reports: SourceRateLimiter(perSecond: reportsPerSecond, burst: 5))
        .register(on: router)
    return router
}

/// Builds the boot service bound to `host:port`. A connection idle for `idleTimeout` (a request not sent whole, or
/// nothing after the last answer) is closed: anything on the admin network can open connections.
public func buildBootApplication(
    boot: BootService, install: InstallService, endpoints: BootEndpoints, files: String, repository: ServedRepository?, host: String, port: Int,
    idleTimeout: Duration = .seconds(30), logger: Logger
) -> some ApplicationProtocol {
    Application(
        router: buildBootRouter(boot: boot, install: install, endpoints: endpoints, files: files, repository: repository, logger: logger),
        server: .http1(configuration: .init(idleTimeout: TimeAmount(idleTimeout))),
        configuration: .init(address: .hostname(host, port: port), serverName: "crowbard-boot"), logger: logger)
}


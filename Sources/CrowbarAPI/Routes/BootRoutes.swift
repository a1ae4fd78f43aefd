import CrowbarControl
import CrowbarCore
import Hummingbird
import Logging

/// The boot service on the admin network: per-node iPXE scripts, what the discovery agent should do next, the
/// agent's registration, and the boot files. It is open (no API token), as PXE-booting machines carry no
/// credentials: nothing here reveals proposals or secrets, and a report through it can only create a node or update
/// one still in discovery (no name, no SSH host key, no MACs added to a known node; the address is the boot MAC's
/// DHCP lease, whatever the report says).
struct BootRoutes {
    let boot: BootService
    let endpoints: BootEndpoints

    func register(on router: Router<CrowbarRequestContext>) {
        let group = router.group("boot")
        group.get(":mac/boot.ipxe") { _, context -> String in
            try await boot.script(mac: try bootMAC(context), endpoints: endpoints)
        }
        group.get(":mac/instruction") { _, context -> String in
            try await boot.agentInstruction(mac: try bootMAC(context)) + "\n"
        }
        group.post("discover") { request, context -> EditedResponse<Node> in
            let report = try await request.decodeBody(DiscoveryReport.self, context: context)
            let (node, created) = try await boot.discover(report)
            return EditedResponse(status: created ? .created : .ok, response: node)
        }
    }

    private func bootMAC(_ context: CrowbarRequestContext) throws -> MACAddress {
        let text = try context.parameters.path("mac")
        guard let mac = MACAddress(text) else { throw APIError(.badRequest, "bad_request", "'\(text)' is not a MAC address", field: "mac") }
        return mac
    }
}

/// The boot service's router: `BootRoutes`, the files under `files` at `/boot/files/` and, when given, the nodes'
/// offline Debian repository (iso/build-repository.sh) at `/debian/`.
public func buildBootRouter(
    boot: BootService, endpoints: BootEndpoints, files: String, repository: String? = nil, logger: Logger
) -> Router<CrowbarRequestContext> {
    let router = Router(context: CrowbarRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: FileMiddleware(files, urlBasePath: "/boot/files", logger: logger))
    if let repository {
        router.add(middleware: FileMiddleware(repository, urlBasePath: "/debian", logger: logger))
    }
    BootRoutes(boot: boot, endpoints: endpoints).register(on: router)
    return router
}

/// Builds the boot service bound to `host:port`.
public func buildBootApplication(
    boot: BootService, endpoints: BootEndpoints, files: String, repository: String?, host: String, port: Int, logger: Logger
) -> some ApplicationProtocol {
    Application(
        router: buildBootRouter(boot: boot, endpoints: endpoints, files: files, repository: repository, logger: logger),
        configuration: .init(address: .hostname(host, port: port), serverName: "crowbard-boot"), logger: logger)
}


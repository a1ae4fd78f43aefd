import CrowbarCore
import Hummingbird
import Logging

/// The boot service on the admin network: per-node iPXE scripts, what the discovery agent should do next, the
/// agent's registration, and the boot files. It is open (no API token), as PXE-booting machines carry no
/// credentials: nothing here reveals proposals or secrets, and a report through it can only create a node or update
/// one still in discovery (no name, no SSH host key, no MACs added to a known node; the address is the boot MAC's
/// DHCP lease, whatever the report says).
struct BootRoutes {
    let admin: Admin
    let endpoints: BootEndpoints

    func register(on router: Router<CrowbarRequestContext>) {
        let boot = router.group("boot")
        boot.get(":mac/boot.ipxe") { _, context -> String in
            let mac = try bootMAC(context)
            let node = try await admin.database.node(withMAC: mac)
            return BootTarget(state: node?.state).script(mac: mac, endpoints: endpoints)
        }
        boot.get(":mac/instruction") { _, context -> String in
            let node = try await admin.database.node(withMAC: try bootMAC(context))
            return BootTarget.agentInstruction(state: node?.state) + "\n"
        }
        boot.post("discover") { request, context -> EditedResponse<Node> in
            let report = try await request.decodeBody(DiscoveryReport.self, context: context)
            let (node, created) = try await admin.database.register(report, from: .bootNetwork)
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
    admin: Admin, endpoints: BootEndpoints, files: String, repository: String? = nil, logger: Logger
) -> Router<CrowbarRequestContext> {
    let router = Router(context: CrowbarRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: FileMiddleware(files, urlBasePath: "/boot/files", logger: logger))
    if let repository {
        router.add(middleware: FileMiddleware(repository, urlBasePath: "/debian", logger: logger))
    }
    BootRoutes(admin: admin, endpoints: endpoints).register(on: router)
    return router
}

/// Builds the boot service bound to `host:port`.
public func buildBootApplication(
    admin: Admin, endpoints: BootEndpoints, files: String, repository: String?, host: String, port: Int, logger: Logger
) -> some ApplicationProtocol {
    Application(
        router: buildBootRouter(admin: admin, endpoints: endpoints, files: files, repository: repository, logger: logger),
        configuration: .init(address: .hostname(host, port: port), serverName: "crowbard-boot"), logger: logger)
}


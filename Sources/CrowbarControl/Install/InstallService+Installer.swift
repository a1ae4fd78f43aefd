import CrowbarCore
import CrowbarStore
import Foundation

/// The installer's side, on the open boot network. Every call but the boot script's must carry the node's current
/// token, come from the address the boot script was fetched from, and arrive while the attempt is open and before its
/// deadline; anything else is refused (`forbidden`) and changes nothing.
extension InstallService {
    /// The iPXE script of an installing node, with a fresh token when the request comes from the address crowbard's
    /// DHCP gives the node (its reserved admin address, or its lease) and the installer has not fetched its plan yet; a
    /// re-fetch voids the previous token. Otherwise the script carries none and retries (noted once on the install's
    /// log): once the plan is out, only that installer speaks for the node.
    func bootScript(for node: Node, mac: MACAddress, source: IPv4Address?, endpoints: BootEndpoints) async throws -> String {
        let database = context.database
        guard let claim = try await database.installClaim(mac: mac)?.claim, claim.attempt.status == .open else {
            return BootTarget.install.script(mac: mac, endpoints: endpoints)
        }
        // What crowbard's DHCP hands this MAC: the node's reserved admin address once allocated, else its lease.
        let lease = try await database.dhcpLeases().first { $0.mac == mac && $0.expiresAt > Date() }?.address
        let expected = [node.adminAddress, lease].compactMap { $0 }
        guard let source, expected.contains(source) else {
            let given = expected.isEmpty ? "none" : expected.map(\.description).joined(separator: " or ")
            try await database.noteInstall(
                attempt: claim.attempt.id, phase: "boot",
                text: "boot script asked for from \(source?.description ?? "an unknown address"), not the address \(mac) gets by DHCP (\(given)): no token given")
            return BootTarget.install.script(mac: mac, endpoints: endpoints)
        }
        guard [nil, "boot"].contains(claim.attempt.phase) else {
            try await database.noteInstall(
                attempt: claim.attempt.id, phase: "boot",
                text: "boot script asked for again after the plan went out (\(claim.attempt.phase ?? "")): no new token; reinstall to start over")
            return BootTarget.install.script(mac: mac, endpoints: endpoints)
        }
        let token = BearerToken.mint()
        try await database.issueInstallToken(attempt: claim.attempt.id, tokenHash: token.hash, to: source.description)
        return BootTarget.install.script(mac: mac, endpoints: endpoints, installToken: token.value)
    }

    /// The plan for the installer of the node that owns `mac`.
    public func plan(mac: MACAddress, token: String?, source: IPv4Address?) async throws -> String {
        let settings = try requireSettings()
        let (attempt, node) = try await authorize(mac: mac, token: token, source: source)
        let image = try settings.images.image(named: attempt.os)
        guard let address = node.adminAddress else { throw CrowbarError(.conflict, "node \(node.name) has no admin address") }
        let admin = try await networks.adminNetwork()
        let plan = InstallPlan(
            disk: attempt.disk, minimumBytes: image.minimumDiskBytes, rootUUID: UUID().uuidString.lowercased(),
            imageURL: "\(settings.endpoints.httpBase)/boot/files/os/\(image.file)", imageSHA256: image.sha256, hostname: node.name,
            address: "\(address)/\(admin.prefixLength)", gateway: admin.router, dns: nil, bootMAC: mac,
            authorizedKey: try settings.authorizedKey(), repository: "\(settings.endpoints.httpBase)/debian",
            repositoryKey: settings.repositoryKey)
        try await context.database.appendInstallProgress(attempt: attempt.id, phase: "plan", text: "plan sent: \(image.file) onto \(attempt.disk)")
        return plan.text
    }

    /// A progress line from the installer.
    public func progress(mac: MACAddress, token: String?, source: IPv4Address?, report: InstallProgressReport) async throws {
        let (attempt, _) = try await authorize(mac: mac, token: token, source: source)
        try await context.database.appendInstallProgress(attempt: attempt.id, phase: Self.clean(report.phase, limit: 32), text: Self.clean(report.message, limit: 500))
    }

    /// The installer's last word: the public half of the host key it generated. The key is pinned and the node
    /// becomes `installed`. While the node is still `installed`, the same report again answers the node unchanged (the
    /// installer lost the answer) and a different key with the used token means two machines answered for one node:
    /// the pin is dropped and the node goes to `problem`. Once the node has moved on, a used token is refused.
    public func done(mac: MACAddress, token: String?, source: IPv4Address?, report: InstallDoneReport) async throws -> Node {
        guard let pin = HostKeyPin(publicKeyLine: report.hostKey) else {
            throw CrowbarError(.invalid, "hostKey is not an OpenSSH public key line", context: ["field": "hostKey"])
        }
        if let (claim, node) = try await context.database.installClaim(mac: mac), claim.attempt.status == .finished, node.state == .installed,
           let token, BearerToken.matches(token, storedHash: claim.tokenHash), source?.description == claim.attempt.claimedFrom {
            guard node.sshHostKey == pin else {
                _ = try await context.database.failInstall(
                    attempt: claim.attempt.id, reason: "install token used again with another host key (\(pin)) from \(source?.description ?? "?")",
                    clearPin: true)
                throw CrowbarError(.conflict, "this install already finished with another host key")
            }
            return node
        }
        let (attempt, _) = try await authorize(mac: mac, token: token, source: source)
        return try await context.database.completeInstall(attempt: attempt.id, hostKey: pin)
    }

    /// The installer gave up: the node goes to `problem` with its reason.
    public func failed(mac: MACAddress, token: String?, source: IPv4Address?, report: InstallFailureReport) async throws -> Node {
        let (attempt, _) = try await authorize(mac: mac, token: token, source: source)
        return try await context.database.failInstall(attempt: attempt.id, reason: "installer: " + Self.clean(report.reason, limit: 500))
    }

    private func authorize(mac: MACAddress, token: String?, source: IPv4Address?) async throws -> (InstallAttempt, Node) {
        guard let (claim, node) = try await context.database.installClaim(mac: mac), claim.attempt.status == .open else {
            throw CrowbarError(.forbidden, "no install is open for \(mac)")
        }
        guard let token, BearerToken.matches(token, storedHash: claim.tokenHash) else {
            throw CrowbarError(.forbidden, "missing or wrong install token for \(mac)")
        }
        guard let source, source.description == claim.attempt.claimedFrom else {
            throw CrowbarError(.forbidden, "install calls for \(mac) are taken only from \(claim.attempt.claimedFrom ?? "its DHCP lease")")
        }
        guard claim.attempt.deadline > Date() else { throw CrowbarError(.forbidden, "the install of \(node.name) is past its deadline") }
        return (claim.attempt, node)
    }

    /// Printable ASCII only, at most `limit` characters: what an installer sends goes into logs and terminals.
    static func clean(_ text: String, limit: Int) -> String {
        String(String(text.unicodeScalars.filter { (0x20...0x7e).contains($0.value) }).prefix(limit))
    }
}

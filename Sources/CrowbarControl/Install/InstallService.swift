import CrowbarCore
import CrowbarStore
import Foundation
import Logging

/// OS installs: allocation with an image, the installer's calls on the boot network (each checked against the node's
/// one-time token, the address its boot script went to and the deadline), and the moves that follow — `installed`
/// when the installer reports the host key it generated (pinned then, never learned on first contact), `readying`
/// once the installed OS answers SSH, `problem` with the reason on any failure or missed deadline.
public struct InstallService: Sendable {
    let context: ControlContext
    let nodes: NodeService
    let networks: NetworkService
    let power: PowerService
    let settings: InstallSettings?
    let logger: Logger

    /// Allocates node `name`; with `request.os`, also installs that image onto `request.disk` (or the first disk large
    /// enough), which is checked against the inventory before anything is booted.
    public func allocate(_ name: String, request: AllocateRequest, actor: String) async throws -> Node {
        guard let os = request.os else {
            if request.disk != nil { throw CrowbarError(.invalid, "a disk is chosen only for an install: give os too", context: ["field": "disk"]) }
            return try await nodes.allocate(name)
        }
        let settings = try requireSettings()
        let image = try settings.images.image(named: os)
        let node = try await context.database.node(named: name)
        try Self.checkHostname(name)
        let disk = try InstallDisk.choose(from: node.inventory.disks, requested: request.disk, minimumBytes: image.minimumDiskBytes, node: name)
        switch node.state {
        case .discovered: _ = try await nodes.allocate(name)
        case .allocated: break
        default: throw CrowbarError(.conflict, "node \(name) is \(node.state.rawValue): only discovered or allocated nodes are installed (or reinstall it)")
        }
        return try await start(name, os: os, disk: disk.name, actor: actor)
    }

    /// Installs node `name` again with the image and disk of its last install: its pin is dropped and it boots the
    /// installer (through its BMC; without one it must be rebooted by hand).
    public func reinstall(_ name: String, actor: String) async throws -> Node {
        let settings = try requireSettings()
        guard let last = try await context.database.latestInstall(node: name)?.attempt else {
            throw CrowbarError(.conflict, "node \(name) was never installed by crowbard: allocate it with an OS")
        }
        let image = try settings.images.image(named: last.os)
        _ = try InstallDisk.choose(
            from: try await context.database.node(named: name).inventory.disks, requested: last.disk, minimumBytes: image.minimumDiskBytes, node: name)
        return try await start(name, os: last.os, disk: last.disk, actor: actor, reinstallReason: "reinstall requested by \(actor)")
    }

    /// Node `name`'s latest install with its log; `notFound` when it never had one.
    public func status(of name: String) async throws -> InstallStatus {
        guard let status = try await context.database.latestInstall(node: name) else {
            throw CrowbarError(.notFound, "node \(name) has no install")
        }
        return status
    }

    private func start(_ name: String, os: String, disk: String, actor: String, reinstallReason: String? = nil) async throws -> Node {
        let settings = try requireSettings()
        let attempt = try await context.database.startInstall(
            node: name, os: os, disk: disk, deadline: Date().addingTimeInterval(settings.timeout.inSeconds), reinstallReason: reinstallReason)
        await bootInstaller(attempt, actor: actor)
        return try await context.database.node(named: name)
    }

    /// Powers the node into its installer through its BMC: on (or cycled, when it runs) with PXE as the next boot
    /// device. Without a BMC, a node running the discovery agent reboots when it next asks (every 10 s).
    private func bootInstaller(_ attempt: InstallAttempt, actor: String) async {
        let database = context.database
        guard (try? await database.bmc(node: attempt.node)) != nil else {
            try? await database.appendInstallProgress(
                attempt: attempt.id, phase: "boot", text: "no BMC: the discovery agent reboots it into the installer, or power-cycle it by hand")
            return
        }
        do {
            // A machine that runs is cycled; one that is off (or whose state the BMC does not say) is turned on.
            let status = try await power.power(attempt.node, PowerRequest(action: .status), actor: actor)
            let action: PowerAction = status.state == .on ? .cycle : .on
            let result = try await power.power(attempt.node, PowerRequest(action: action, bootDevice: .pxe), actor: actor)
            if let failure = result.failure {
                try await database.failInstall(attempt: attempt.id, reason: "power \(action.rawValue) through the BMC failed: \(failure.message)")
            } else {
                try await database.appendInstallProgress(attempt: attempt.id, phase: "boot", text: "power \(action.rawValue) with PXE next, through the BMC")
            }
        } catch {
            _ = try? await database.failInstall(attempt: attempt.id, reason: "the BMC could not be asked to boot the installer: \(error)")
        }
    }

    /// Node names become host names on the installed system (`[a-z0-9-]`, at most 63): others are refused before
    /// anything boots.
    static func checkHostname(_ name: String) throws {
        guard name.count <= 63, name.first != "-", name.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
            throw CrowbarError(
                .invalid, "node \(name) cannot be installed: its name is its host name, which takes only a-z, 0-9 and '-' (rename it)",
                context: ["field": "node"])
        }
    }

    func requireSettings() throws -> InstallSettings {
        guard let settings else {
            throw CrowbarError(.conflict, "this crowbard installs no OS: it needs its boot services (--boot-address) and OS images in its boot files")
        }
        return settings
    }
}

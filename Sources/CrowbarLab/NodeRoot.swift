import Foundation

/// The nodes' Debian 12 root file systems: one debootstrap'd base, cached by the hash of what it is built
/// from, and a copy per node with its own host keys, hostname and crowbard's key authorised for root.
struct NodeRoot {
    static let suite = "bookworm"
    static let packages = ["openssh-server", "systemd-sysv", "iproute2", "python3"]

    let layout: LabLayout

    /// The cache key: what the base is built from. A changed package list builds a new base.
    var basePath: String {
        let recipe = ([Self.suite] + Self.packages).joined(separator: ",")
        let hash = recipe.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        return "\(layout.stateDirectory)/base-\(Self.suite)-\(String(hash, radix: 16))"
    }

    /// Builds the base root unless the cache has it; a half-built base is never used (built aside, then renamed).
    func ensureBase(progress: (String) -> Void) async throws {
        if FileManager.default.fileExists(atPath: basePath + "/etc/os-release") { return }
        let building = basePath + ".building"
        try? FileManager.default.removeItem(atPath: building)
        try FileManager.default.createDirectory(atPath: layout.stateDirectory, withIntermediateDirectories: true)
        progress("debootstrap \(Self.suite) into \(basePath) (about 1.5 min)")
        try await Command.run("debootstrap", [
            "--variant=minbase", "--include=" + Self.packages.joined(separator: ","), Self.suite, building,
        ])
        // Host keys are made per node; a base must not carry any.
        for key in try FileManager.default.contentsOfDirectory(atPath: building + "/etc/ssh") where key.hasPrefix("ssh_host_") {
            try FileManager.default.removeItem(atPath: "\(building)/etc/ssh/\(key)")
        }
        try FileManager.default.moveItem(atPath: building, toPath: basePath)
    }

    /// Copies the base for node `number` and personalises it; returns the node's ed25519 host key line.
    func prepare(_ number: Int, authorizedKey: String) async throws -> String {
        let directory = layout.nodeDirectory(number)
        let root = directory + "/root"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await Command.run("cp", ["-a", basePath, root])
        try await Command.run("ssh-keygen", ["-A", "-f", root])
        try (layout.nodeName(number) + "\n").write(toFile: root + "/etc/hostname", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: root + "/root/.ssh", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try (authorizedKey + "\n").write(toFile: root + "/root/.ssh/authorized_keys", atomically: true, encoding: .utf8)
        // root's systemd user manager lingers: otherwise every SSH login starts one (pam_systemd waits for it) and
        // every logout stops it, and under load a login waited minutes for the last one to stop.
        try FileManager.default.createDirectory(atPath: root + "/var/lib/systemd/linger", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: root + "/var/lib/systemd/linger/root", contents: nil)
        // No getty on the console: the container's console is a pipe.
        try? FileManager.default.removeItem(atPath: root + "/etc/systemd/system/getty.target.wants/getty@tty1.service")
        return try String(contentsOfFile: root + "/etc/ssh/ssh_host_ed25519_key.pub", encoding: .utf8)
    }
}

/// The disk an OS is installed onto, chosen from a node's inventory.
public enum InstallDisk {
    /// The operator's `requested` disk, or the first disk of the inventory large enough for `minimumBytes`.
    /// Throws an `invalid` error naming the disks and sizes when none fits, before anything is booted or written.
    public static func choose(from disks: [Inventory.Disk], requested: String?, minimumBytes: Int64, node: String) throws(CrowbarError) -> Inventory.Disk {
        let listed = disks.isEmpty ? "none reported" : disks.map { "\($0.name) \(mebibytes($0.sizeBytes))" }.joined(separator: ", ")
        if let requested {
            guard let disk = disks.first(where: { $0.name == requested }) else {
                throw CrowbarError(.invalid, "node \(node) has no disk \(requested) (disks: \(listed))", context: ["field": "disk"])
            }
            guard disk.sizeBytes >= minimumBytes else {
                throw CrowbarError(
                    .invalid, "disk \(requested) of node \(node) has \(mebibytes(disk.sizeBytes)), the image needs \(mebibytes(minimumBytes))",
                    context: ["field": "disk"])
            }
            return disk
        }
        guard let disk = disks.first(where: { $0.sizeBytes >= minimumBytes }) else {
            throw CrowbarError(.invalid, "node \(node) has no disk of at least \(mebibytes(minimumBytes)) (disks: \(listed))", context: ["field": "disk"])
        }
        return disk
    }

    static func mebibytes(_ bytes: Int64) -> String { "\(bytes >> 20) MiB" }
}

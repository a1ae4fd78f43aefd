import Foundation

/// crowbard's data folder holds every secret of the cloud (the database with proposal secrets and BMC passwords, the
/// API token, the SSH key): it and everything crowbard keeps in it are its owner's alone.
public enum DataDirectory {
    /// The folders whose files are checked: the data folder and its SSH key's.
    static let checkedFolders = ["", "ssh"]

    /// Creates `path` (0700) if missing; takes group and other permissions away from the folder, its SSH folder and
    /// the files in them. Answers what it had to tighten (each `path: old → new mode`), for a warning.
    public static func secure(_ path: String) throws -> [String] {
        let files = FileManager.default
        try files.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var tightened: [String] = []
        func tighten(_ item: String) throws {
            guard let mode = try files.attributesOfItem(atPath: item)[.posixPermissions] as? Int, mode & 0o077 != 0 else { return }
            try files.setAttributes([.posixPermissions: mode & 0o700], ofItemAtPath: item)
            tightened.append("\(item): \(String(mode, radix: 8)) → \(String(mode & 0o700, radix: 8))")
        }
        for folder in checkedFolders.map({ $0.isEmpty ? path : path + "/" + $0 }) where files.fileExists(atPath: folder) {
            try tighten(folder)
            for item in try files.contentsOfDirectory(atPath: folder).sorted().map({ folder + "/" + $0 })
            // Regular files only (the attributes are lstat's): chmod would follow a link to whatever it names.
            where try files.attributesOfItem(atPath: item)[.type] as? FileAttributeType == .typeRegular {
                try tighten(item)
            }
        }
        return tightened
    }
}

import CrowbarAPI
import CrowbarControl
import CrowbarCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Subprocess
import SystemPackage
import Testing

/// The offline repository as nodes get it: signed by crowbard's own key as it is served, checked by the real gpgv
/// and by the real apt, which refuse it once anything in it was changed on the way.
@Suite struct SignedRepositoryTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-repository-\(UUID().uuidString)").path

    /// What a program did: its exit status, standard output, and both outputs together (`text`).
    struct Ran {
        var status: Int32
        var output: String
        var errors: String
        var text: String { output + errors }
    }

    /// Runs a program, awaited: never waited for on a thread of the test's pool, since apt-get here talks to a server
    /// that runs on that pool (a blocked pool thread stalled every suite once).
    @discardableResult
    func run(_ program: String, _ arguments: [String], in directory: String? = nil) async throws -> Ran {
        let result = try await Subprocess.run(
            .path(FilePath(program)), arguments: Arguments(arguments), workingDirectory: directory.map { FilePath($0) },
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        let status: Int32 = if case .exited(let code) = result.terminationStatus { code } else { -1 }
        return Ran(status: status, output: result.standardOutput, errors: result.standardError)
    }

    @Test func theKeyIsKeptAndItsSignaturesPassGpgvUntilTheDocumentChanges() async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let key = try RepositoryKey.loadOrCreate(at: folder + "/repository-key")
        #expect(try RepositoryKey.loadOrCreate(at: folder + "/repository-key").fingerprint == key.fingerprint, "made once, then read")
        let mode = try FileManager.default.attributesOfItem(atPath: folder + "/repository-key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(key.fingerprint.count == 40)

        let release = Data("Origin: crowbar\nSuite: bookworm\nSHA256:\n 0123 10 Packages\n".utf8)
        try key.publicKeyring.write(to: URL(fileURLWithPath: folder + "/key.gpg"))
        try release.write(to: URL(fileURLWithPath: folder + "/Release"))
        try key.signature(of: release, at: Date().addingTimeInterval(-60)).write(toFile: folder + "/Release.gpg", atomically: true, encoding: .utf8)
        let good = try await run("/usr/bin/gpgv", ["--keyring", folder + "/key.gpg", folder + "/Release.gpg", folder + "/Release"])
        #expect(good.status == 0, "\(good.text)")
        #expect(good.text.contains("Good signature from \"crowbar offline repository\""), "\(good.text)")
        #expect(good.text.contains(key.fingerprint), "gpgv names the key by the fingerprint crowbard logs: \(good.text)")

        try Data("Origin: crowbar\nSuite: bookworm\nSHA256:\n 4567 10 Packages\n".utf8).write(to: URL(fileURLWithPath: folder + "/Release"))
        let tampered = try await run("/usr/bin/gpgv", ["--keyring", folder + "/key.gpg", folder + "/Release.gpg", folder + "/Release"])
        #expect(tampered.status != 0 && tampered.text.contains("BAD signature"), "\(tampered.text)")

        // Another admin node's key (the same user ID) does not vouch for this one's signature.
        let stranger = try RepositoryKey.loadOrCreate(at: folder + "/stranger-key")
        try stranger.publicKeyring.write(to: URL(fileURLWithPath: folder + "/stranger.gpg"))
        try release.write(to: URL(fileURLWithPath: folder + "/Release"))
        let unknown = try await run("/usr/bin/gpgv", ["--keyring", folder + "/stranger.gpg", folder + "/Release.gpg", folder + "/Release"])
        #expect(unknown.status != 0, "\(unknown.text)")

        // The armored key is the binary one (what apt reads from a .asc file), checksum included.
        try key.armoredPublicKey.write(toFile: folder + "/key.asc", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: folder + "/gnupg", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let dearmored = try await run("/usr/bin/gpg", ["--homedir", folder + "/gnupg", "--batch", "--dearmor", "--output", folder + "/dearmored.gpg", folder + "/key.asc"])
        #expect(dearmored.status == 0, "\(dearmored.text)")
        #expect(FileManager.default.contents(atPath: folder + "/dearmored.gpg") == key.publicKeyring)
    }

    @Test func aMalformedKeyFileIsRefusedWithItsName() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "created 1\nseed c2hvcnQ=\n".write(toFile: folder + "/repository-key", atomically: true, encoding: .utf8)
        let error = #expect(throws: CrowbarError.self) { try RepositoryKey.loadOrCreate(at: folder + "/repository-key") }
        #expect(error?.message.contains(folder + "/repository-key") == true)
    }

    /// A flat repository of one small package, as iso/build-repository.sh lays it out.
    func makeRepository() async throws {
        let package = folder + "/build/crowbar-probe"
        try FileManager.default.createDirectory(atPath: package + "/DEBIAN", withIntermediateDirectories: true)
        try "Package: crowbar-probe\nVersion: 1.0\nArchitecture: all\nMaintainer: crowbar <crowbar@localhost>\nDescription: probe\n"
            .write(toFile: package + "/DEBIAN/control", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: folder + "/repository/pool", withIntermediateDirectories: true)
        #expect(try await run("/usr/bin/dpkg-deb", ["--build", package, folder + "/repository/pool/crowbar-probe_1.0_all.deb"]).status == 0)
        let packages = try await run("/usr/bin/apt-ftparchive", ["packages", "pool"], in: folder + "/repository")
        try packages.output.write(toFile: folder + "/repository/Packages", atomically: true, encoding: .utf8)
        let release = try await run("/usr/bin/apt-ftparchive", ["-o", "APT::FTPArchive::Release::Origin=crowbar", "release", "."], in: folder + "/repository")
        try release.output.write(toFile: folder + "/repository/Release", atomically: true, encoding: .utf8)
        // Left by someone else: never served.
        try "unsigned".write(toFile: folder + "/repository/InRelease", atomically: true, encoding: .utf8)
        try "forged".write(toFile: folder + "/repository/Release.gpg", atomically: true, encoding: .utf8)
    }

    /// `apt-get update` with a private state, against the repository at `url` trusted by the key in `keyFile` alone.
    func aptUpdate(_ url: String, keyFile: String) async throws -> Ran {
        let state = folder + "/apt"
        try? FileManager.default.removeItem(atPath: state)
        try FileManager.default.createDirectory(atPath: state + "/lists/partial", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: state + "/cache/archives/partial", withIntermediateDirectories: true)
        try "deb [signed-by=\(keyFile)] \(url) ./\n".write(toFile: state + "/sources.list", atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: state + "/status", contents: Data())
        return try await run("/usr/bin/apt-get", [
            "-o", "Dir::Etc::SourceList=\(state)/sources.list", "-o", "Dir::Etc::SourceParts=/nonexistent",
            "-o", "Dir::State::Lists=\(state)/lists", "-o", "Dir::State::status=\(state)/status", "-o", "Dir::Cache=\(state)/cache",
            "-o", "APT::Sandbox::User=root", "-o", "Debug::NoLocking=true", "-o", "Acquire::Retries=0", "-o", "Acquire::http::Timeout=20", "-q", "update",
        ])
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/apt-ftparchive"), "needs apt-utils"))
    func aptTakesTheServedRepositoryWithItsKeyAndRefusesItChanged() async throws {
        try await makeRepository()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let key = try RepositoryKey.loadOrCreate(at: folder + "/repository-key")
        try key.armoredPublicKey.write(toFile: folder + "/crowbar.asc", atomically: true, encoding: .utf8)
        let stranger = try RepositoryKey.loadOrCreate(at: folder + "/stranger-key")
        try stranger.armoredPublicKey.write(toFile: folder + "/stranger.asc", atomically: true, encoding: .utf8)
        let harness = try APIHarness()
        let router = buildBootRouter(
            boot: harness.control.boot, install: harness.control.install,
            endpoints: BootEndpoints(tftpServer: IPv4Address("127.0.0.1")!, httpBase: "http://127.0.0.1:8091"), files: NSTemporaryDirectory(),
            repository: ServedRepository(folder: folder + "/repository", signer: RepositorySigner(key: key)), logger: Logger(label: "test"))
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Logger(label: "test"))
        try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))/debian"
            #expect(try await client.execute(uri: "/debian/InRelease", method: .get) { $0.status } == .notFound)

            let trusted = try await aptUpdate(url, keyFile: folder + "/crowbar.asc")
            #expect(trusted.status == 0 && !trusted.text.contains("W:") && !trusted.text.contains("E:"), "\(trusted.text)")
            let lists = try FileManager.default.contentsOfDirectory(atPath: folder + "/apt/lists")
            #expect(lists.contains { $0.contains("_Packages") }, "the index was taken: \(lists)")

            let strangers = try await aptUpdate(url, keyFile: folder + "/stranger.asc")
            #expect(strangers.status != 0 || strangers.text.contains("NO_PUBKEY"), "another key: \(strangers.text)")
            #expect(strangers.text.contains("not signed") || strangers.text.contains("NO_PUBKEY"), "\(strangers.text)")

            // A package list changed on the way: the signed Release's checksums no longer match.
            let packages = folder + "/repository/Packages"
            try (try String(contentsOfFile: packages, encoding: .utf8) + "\nPackage: evil\nVersion: 9\nArchitecture: all\nFilename: pool/evil.deb\nSize: 1\n\n")
                .write(toFile: packages, atomically: true, encoding: .utf8)
            let changedList = try await aptUpdate(url, keyFile: folder + "/crowbar.asc")
            #expect(changedList.status != 0 || changedList.text.contains("E:"), "a changed Packages: \(changedList.text)")
            #expect(changedList.text.contains("Hash Sum mismatch") || changedList.text.contains("File has unexpected size"), "\(changedList.text)")
        }
    }
}

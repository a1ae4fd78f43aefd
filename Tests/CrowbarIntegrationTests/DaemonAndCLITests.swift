import CrowbarClient
import CrowbarCore
import Foundation
import Testing

/// The real crowbard on a loopback port, driven by the real crowbar binary.
@Suite(.serialized) final class DaemonAndCLITests {
    let binaries: Binaries
    let dataDir: URL

    init() throws {
        binaries = try Binaries()
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-it-\(UUID().uuidString)")
    }

    deinit { try? FileManager.default.removeItem(at: dataDir) }

    /// A typed client of `daemon` with the token it wrote.
    func client(of daemon: Daemon) throws -> CrowbarClient {
        let token = try String(contentsOf: dataDir.appendingPathComponent("api-token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return CrowbarClient(baseURL: daemon.url, token: token)
    }

    func register(_ mac: String, daemon: Daemon) async throws {
        _ = try await client(of: daemon).register(DiscoveryReport(macs: [mac], inventory: Inventory(cpuCount: 1, memoryMB: 512)))
    }

    /// Every file crowbard keeps (database, its WAL and shared memory, token, SSH key) is its owner's alone, under any
    /// umask; a data folder left readable by others is tightened at start, with a warning.
    @Test func theDataFolderAndItsSecretsAreCrowbardsAlone() async throws {
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        _ = FileManager.default.createFile(atPath: dataDir.appendingPathComponent("crowbar.sqlite").path, contents: Data(), attributes: [.posixPermissions: 0o644])
        // An empty token file is what a crash in the middle of writing one left: it gets a token.
        _ = FileManager.default.createFile(atPath: dataDir.appendingPathComponent("api-token").path, contents: Data(), attributes: [.posixPermissions: 0o600])
        let daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        let token = try String(contentsOf: dataDir.appendingPathComponent("api-token"), encoding: .utf8)
        #expect(token.wholeMatch(of: /[0-9a-f]{64}\n/) != nil, "\(token)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dataDir.path).allSatisfy { !$0.contains(".new-") }, "no temporary token left")
        try await register("52:54:00:aa:00:0f", daemon: daemon)  // the WAL has content
        func mode(_ name: String) throws -> Int? {
            try FileManager.default.attributesOfItem(atPath: dataDir.appendingPathComponent(name).path)[.posixPermissions] as? Int
        }
        #expect(try mode("") == 0o700)
        for name in ["crowbar.sqlite", "crowbar.sqlite-wal", "crowbar.sqlite-shm", "api-token", "ssh/id_ed25519"] {
            let found = try mode(name) ?? -1
            #expect(found & 0o077 == 0, "\(name) is readable by others: \(String(found, radix: 8))")
        }
        #expect(try mode("ssh") == 0o700)
        #expect(daemon.output.contains("data file was readable by others; tightened"), "\(daemon.output)")
        #expect(daemon.output.contains("crowbar.sqlite: 644 → 600"))
        daemon.stop()
    }

    /// A reader token from `crowbar token create` reads but is refused a change (exit 4, the reason said); revoked, it is
    /// refused everything; the events name who acted.
    @Test func namedTokensFromTheCLI() async throws {
        let daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        defer { daemon.stop() }
        let created = try binaries.crowbar(["token", "create", "dashboard", "--role", "reader", "--json"], daemon: daemon)
        #expect(created.status == 0, "\(created.errors)")
        let token = try JSONDecoder.crowbar.decode(CreatedAPIToken.self, from: Data(created.output.utf8)).token
        #expect(try binaries.crowbar(["node", "list"], daemon: daemon, token: token).status == 0)
        let refused = try binaries.crowbar(["proposal", "create", "provisioner", "default"], daemon: daemon, token: token)
        #expect(refused.status == 4)
        #expect(refused.errors == "error: token dashboard is a reader: this needs an operator token\n")
        #expect(try binaries.crowbar(["proposal", "create", "provisioner", "default"], daemon: daemon).status == 0)
        let list = try binaries.crowbar(["token", "list"], daemon: daemon).output
        #expect(list.contains("dashboard  reader") && !list.contains(token))
        #expect(try binaries.crowbar(["token", "revoke", "dashboard"], daemon: daemon).output == "revoked token dashboard\n")
        #expect(try binaries.crowbar(["node", "list"], daemon: daemon, token: token).status == 4)
        let events = try binaries.crowbar(["events", "--subject", "provisioner/default"], daemon: daemon).output
        #expect(events.contains("proposal.created") && events.contains("root ("), "the token file's token is root: \(events)")
    }

    /// `crowbard --tls`: HTTPS with a certificate made at the first start and kept (its key private); the CLI trusts
    /// that certificate alone, so another one — a stranger answering in crowbard's place — is refused, and so is plain
    /// HTTP; curl agrees with the same certificate and refuses without it.
    @Test func theAPIOverTLSIsTrustedOnlyWithItsOwnCertificate() async throws {
        var daemon = try Daemon(binaries: binaries, dataDir: dataDir, extraArguments: ["--tls"])
        #expect(daemon.url.hasPrefix("https://127.0.0.1:"))
        let certificate = dataDir.appendingPathComponent("api-cert.pem")
        let first = try String(contentsOf: certificate, encoding: .utf8)
        func mode(_ name: String) throws -> Int? {
            try FileManager.default.attributesOfItem(atPath: dataDir.appendingPathComponent(name).path)[.posixPermissions] as? Int
        }
        #expect(try mode("api-key.pem") == 0o600)
        #expect(try mode("api-cert.pem") == 0o644)
        let listed = try binaries.crowbar(["node", "list"], daemon: daemon)
        #expect(listed.status == 0, "\(listed.errors)")

        let token = try String(contentsOf: dataDir.appendingPathComponent("api-token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let environment = ProcessInfo.processInfo.environment
        let curl = { (arguments: [String]) in try CommandResult.run("/usr/bin/curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}"] + arguments, environment: environment, limit: 20) }
        #expect(try curl(["--cacert", certificate.path, "-H", "Authorization: Bearer \(token)", daemon.url + "/api/v1/nodes"]).output == "200")
        #expect(try curl([daemon.url + "/api/v1/health"]).status != 0, "curl does not trust it without the certificate")
        #expect(try curl([daemon.url.replacingOccurrences(of: "https://", with: "http://") + "/api/v1/health"]).output != "200", "no plain HTTP")

        // Another certificate (as a stranger's would be) is not trusted by the CLI.
        let stranger = dataDir.appendingPathComponent("stranger")
        try FileManager.default.createDirectory(at: stranger, withIntermediateDirectories: true)
        let made = try CommandResult.run(
            "/usr/bin/openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=crowbard",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", stranger.appendingPathComponent("key.pem").path,
             "-out", stranger.appendingPathComponent("cert.pem").path],
            environment: environment, limit: 30)
        #expect(made.status == 0, "\(made.errors)")
        let refused = try binaries.crowbar(["node", "list", "--ca-file", stranger.appendingPathComponent("cert.pem").path], daemon: daemon)
        #expect(refused.status == 3, "\(refused.output)\(refused.errors)")

        // The pair is kept: a restart serves the same certificate, so the pin holds.
        daemon.stop()
        daemon = try Daemon(binaries: binaries, dataDir: dataDir, extraArguments: ["--tls"])
        defer { daemon.stop() }
        #expect(try String(contentsOf: certificate, encoding: .utf8) == first)
        #expect(try binaries.crowbar(["node", "list"], daemon: daemon).status == 0)
    }

    /// The settings file (`--config`), under the CROWBAR_* environment variables, under the flags; a file crowbard
    /// cannot use stops it with the file, line and key.
    @Test func settingsComeFromFlagsThenEnvironmentThenTheSettingsFile() async throws {
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        let file = dataDir.appendingPathComponent("crowbard.yml")
        try "# settings\ntls: true\nssh-threads: 4\n".write(to: file, atomically: true, encoding: .utf8)
        var daemon = try Daemon(binaries: binaries, dataDir: dataDir.appendingPathComponent("a"), extraArguments: ["--config", file.path])
        #expect(daemon.url.hasPrefix("https://"), "the file's tls: true")
        daemon.stop()
        daemon = try Daemon(
            binaries: binaries, dataDir: dataDir.appendingPathComponent("b"), extraArguments: ["--config", file.path], environment: ["CROWBAR_TLS": "false"])
        #expect(daemon.url.hasPrefix("http://"), "the environment over the file")
        daemon.stop()
        daemon = try Daemon(
            binaries: binaries, dataDir: dataDir.appendingPathComponent("c"), extraArguments: ["--config", file.path, "--tls"],
            environment: ["CROWBAR_TLS": "false"])
        #expect(daemon.url.hasPrefix("https://"), "the flag over both")
        daemon.stop()

        let environment = ProcessInfo.processInfo.environment
        for (text, expected) in [
            ("tls: true\nboot-adress: 10.0.0.1\n", ["\(file.path):2:", "boot-adress: unknown key"]),
            ("ssh-threads: many\n", ["\(file.path):1:", "ssh-threads: expected an integer"]),
            ("listen: [127.0.0.1\n", ["\(file.path):", "malformed YAML"]),
        ] {
            try text.write(to: file, atomically: true, encoding: .utf8)
            let refused = try CommandResult.run(
                binaries.crowbard.path, ["--config", file.path, "--data-dir", dataDir.appendingPathComponent("d").path], environment: environment,
                limit: 20)
            #expect(refused.status != 0 && expected.allSatisfy(refused.errors.contains), "\(text): \(refused.errors)")
        }
        let missing = try CommandResult.run(binaries.crowbard.path, ["--config", "/nonexistent/crowbard.yml"], environment: environment, limit: 20)
        #expect(missing.status != 0 && missing.errors.contains("/nonexistent/crowbard.yml: no such settings file"), "\(missing.errors)")
        let bad = try CommandResult.run(
            binaries.crowbard.path, ["--data-dir", dataDir.appendingPathComponent("e").path],
            environment: environment.merging(["CROWBAR_SSH_THREADS": "many"]) { $1 }, limit: 20)
        #expect(bad.status != 0 && bad.errors.contains("ssh-threads"), "\(bad.errors)")
    }

    /// `/metrics` parsed by the Prometheus project's own Python parser: API requests by route and status, nodes by
    /// state and runs by status from the store; the token is needed.
    @Test func metricsParseWithPrometheusOwnParser() async throws {
        let daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        defer { daemon.stop() }
        try await register("52:54:00:aa:00:21", daemon: daemon)
        #expect(try binaries.crowbar(["node", "list"], daemon: daemon).status == 0)
        let token = try String(contentsOf: dataDir.appendingPathComponent("api-token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let environment = ProcessInfo.processInfo.environment
        let unauthorized = try CommandResult.run(
            "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", daemon.url + "/metrics"], environment: environment, limit: 20)
        #expect(unauthorized.output == "401")
        let scrape = """
            import sys, urllib.request
            from prometheus_client.parser import text_string_to_metric_families
            request = urllib.request.Request(sys.argv[1] + "/metrics", headers={"Authorization": "Bearer " + sys.argv[2]})
            answer = urllib.request.urlopen(request, timeout=10)
            assert answer.headers["Content-Type"].startswith("text/plain"), answer.headers["Content-Type"]
            for family in text_string_to_metric_families(answer.read().decode()):
                for sample in family.samples:
                    labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                    print(f"{family.type} {sample.name} {labels} {sample.value}")
            """
        let parsed = try CommandResult.run("/usr/bin/python3", ["-c", scrape, daemon.url, token], environment: environment, limit: 30)
        #expect(parsed.status == 0, "\(parsed.errors)")
        let lines = parsed.output.split(separator: "\n").map(String.init)
        #expect(lines.contains("gauge crowbar_nodes state=discovered 1.0"), "\(parsed.output)")
        #expect(lines.contains("gauge crowbar_runs status=failed 0.0"), "\(parsed.output)")
        #expect(lines.contains { $0.hasPrefix("counter hb_requests_total ") && $0.contains("http_route=/api/v1/nodes") && $0.contains("http_response_status_code=200") },
            "\(parsed.output)")
        #expect(lines.contains { $0.hasPrefix("histogram http_server_request_duration_count ") }, "\(parsed.output)")
    }

    /// One line per log event: JSON objects with `--log-format json` (the API's access log under its request id), and
    /// under systemd (JOURNAL_STREAM) text lines led by the syslog priority journald takes.
    @Test func logLinesAreJSONOrCarryTheJournalsPriority() async throws {
        var daemon = try Daemon(binaries: binaries, dataDir: dataDir.appendingPathComponent("json"), extraArguments: ["--log-format", "json"])
        #expect(try binaries.crowbar(["node", "list"], daemon: daemon).status == 0)
        daemon.stop()
        let objects = daemon.output.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
        }
        #expect(objects.count >= 3 && objects.allSatisfy { $0["time"] != nil && $0["level"] != nil && $0["label"] != nil }, "\(daemon.output)")
        let access = objects.first { $0["message"] == "GET /api/v1/nodes 200" }
        #expect(access?["hb.request.id"] != nil && access?["level"] == "info", "\(daemon.output)")

        daemon = try Daemon(binaries: binaries, dataDir: dataDir.appendingPathComponent("journal"), environment: ["JOURNAL_STREAM": "8:1234"])
        #expect(try binaries.crowbar(["node", "list"], daemon: daemon).status == 0)
        daemon.stop()
        let lines = daemon.output.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("<6>crowbard: GET /api/v1/nodes 200 ") }, "\(daemon.output)")
        #expect(lines.filter { $0.hasPrefix("<") }.count >= 3, "\(daemon.output)")
    }

    @Test func proposalWalkThroughTheCLISurvivesARestart() async throws {
        var daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        let tokenFile = dataDir.appendingPathComponent("api-token")
        let mode = try FileManager.default.attributesOfItem(atPath: tokenFile.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        try await register("52:54:00:aa:00:01", daemon: daemon)
        let node = "d52-54-00-aa-00-01"
        let list = try binaries.crowbar(["node", "list"], daemon: daemon)
        #expect(list.status == 0)
        #expect(list.output.contains(node))
        #expect(list.output.contains("discovered"))
        try await register("52:54:00:aa:00:02", daemon: daemon)
        #expect(try await client(of: daemon).nodes(pageSize: 1).map(\.name) == [node, "d52-54-00-aa-00-02"])
        let page = try binaries.crowbar(["node", "list", "--limit", "1"], daemon: daemon)
        #expect(page.output.contains(node) && !page.output.contains("d52-54-00-aa-00-02"))
        #expect(page.errors == "more nodes follow: add --after \(node)\n")
        let after = try binaries.crowbar(["node", "list", "--after", node, "--state", "discovered"], daemon: daemon)
        #expect(after.output.contains("d52-54-00-aa-00-02") && !after.output.contains(node) && after.errors.isEmpty)

        #expect(try binaries.crowbar(["proposal", "create", "provisioner", "default"], daemon: daemon).status == 0)
        #expect(try binaries.crowbar(["proposal", "assign", "provisioner", "default", "provisioner-server", node], daemon: daemon).status == 0)
        let assigned = try binaries.crowbar(["node", "list", "--role", "provisioner-server", "--json"], daemon: daemon)
        #expect(try JSONDecoder.crowbar.decode([Node].self, from: Data(assigned.output.utf8)).map(\.name) == [node])
        let plan = try binaries.crowbar(["proposal", "plan", "provisioner", "default"], daemon: daemon)
        #expect(plan.output.contains("provisioner-server"))
        #expect(plan.output.contains(node))
        let commit = try binaries.crowbar(["proposal", "commit", "--no-apply", "provisioner", "default"], daemon: daemon)
        #expect(commit.status == 0, "\(commit.errors)")
        #expect(commit.output == "committed provisioner/default as revision 1\n")

        let set = try binaries.crowbar(["proposal", "set", "provisioner", "default", "dhcp_lease_time=120"], daemon: daemon)
        #expect(set.status == 0, "\(set.errors)")
        let diff = try binaries.crowbar(["proposal", "diff", "provisioner", "default"], daemon: daemon)
        #expect(diff.output.contains("~ attributes.dhcp_lease_time: 60 → 120"))
        // Applying needs a reachable node: this one was only registered, so the run fails and says why.
        let applied = try binaries.crowbar(["proposal", "commit", "--follow", "provisioner", "default"], daemon: daemon)
        #expect(applied.output.contains("as revision 2; run 1 applies it"))
        #expect(applied.status == 8, "\(applied.output)")
        #expect(applied.output.contains("failed: step 1"))
        let status = try binaries.crowbar(["proposal", "show", "provisioner", "default", "--json"], daemon: daemon)
        #expect(status.output.contains(#""status":"failed""#))

        let jsonPlan = try binaries.crowbar(["plan", "--json"], daemon: daemon)
        let decoded = try JSONDecoder().decode(Plan.self, from: Data(jsonPlan.output.utf8))
        #expect(decoded.steps.map(\.role) == ["provisioner-server"])

        #expect(daemon.stop() == 0, "crowbard did not shut down gracefully")
        daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        let revisions = try binaries.crowbar(["proposal", "revisions", "provisioner", "default", "--json"], daemon: daemon)
        let kept = try JSONDecoder.crowbar.decode([ProposalRevision].self, from: Data(revisions.output.utf8))
        #expect(kept.map(\.revision) == [1, 2])
        #expect(try binaries.crowbar(["node", "show", node], daemon: daemon).output.contains("512 MB"))
        daemon.stop()
    }

    @Test func exitCodesMeanSomething() async throws {
        let daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        let unauthorized = try binaries.crowbar(["node", "list"], daemon: daemon, token: "wrong")
        #expect(unauthorized.status == 4)
        #expect(unauthorized.errors.contains("Authorization"))
        let missing = try binaries.crowbar(["node", "show", "ghost"], daemon: daemon)
        #expect(missing.status == 5)
        #expect(missing.errors.contains("no node named ghost"))
        #expect(try binaries.crowbar(["proposal", "create", "keystone", "default"], daemon: daemon).status == 0)
        #expect(try binaries.crowbar(["proposal", "create", "keystone", "default"], daemon: daemon).status == 6)
        let invalid = try binaries.crowbar(["proposal", "commit", "keystone", "default"], daemon: daemon)
        #expect(invalid.status == 7)
        #expect(invalid.errors.contains("requires an active database proposal"))
        let badValue = try binaries.crowbar(["proposal", "set", "keystone", "default", "token_expiration=soon"], daemon: daemon)
        #expect(badValue.status == 7)
        #expect(badValue.errors.contains("token_expiration"))
        let shown = try binaries.crowbar(["proposal", "show", "keystone", "default", "--json"], daemon: daemon)
        #expect(shown.output.contains("\"admin_password\":\"********\""))
        #expect(try binaries.crowbar(["node", "frobnicate"], daemon: daemon).status == 64)
        daemon.stop()
        let unreachable = try binaries.crowbar(["node", "list"], daemon: daemon)
        #expect(unreachable.status == 3)
    }

    /// A server that already runs an OS is added by hand with its address and its host key's fingerprint, which crowbard
    /// pins; a malformed address or fingerprint is refused before anything is sent.
    @Test func aNodeAddedByHandCarriesItsAddressAndPinnedHostKey() async throws {
        let daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        let fingerprint = "SHA256:" + Data(repeating: 7, count: 32).base64EncodedString().trimmingCharacters(in: ["="])
        let added = try binaries.crowbar(
            ["node", "add", "52:54:00:aa:00:09", "--name", "rack1-09", "--address", "10.20.0.9", "--host-key-fingerprint", fingerprint],
            daemon: daemon)
        #expect(added.status == 0 && added.output == "added rack1-09 (discovered)\n")
        let node = try await client(of: daemon).node(named: "rack1-09")
        #expect(node.bootAddress?.description == "10.20.0.9")
        #expect(node.sshHostKey == HostKeyPin(type: "ssh-ed25519", fingerprint: fingerprint))

        let badKey = try binaries.crowbar(["node", "add", "52:54:00:aa:00:0a", "--host-key-fingerprint", "SHA256:short"], daemon: daemon)
        #expect(badKey.status == 64 && badKey.errors.contains("'SHA256:short' is not a SHA-256 fingerprint"))
        let badAddress = try binaries.crowbar(["node", "add", "52:54:00:aa:00:0a", "--address", "10.20.0.300"], daemon: daemon)
        #expect(badAddress.status == 64 && badAddress.errors.contains("'10.20.0.300' is not an IPv4 address"))
        let badType = try binaries.crowbar(
            ["node", "add", "52:54:00:aa:00:0a", "--host-key-fingerprint", fingerprint, "--host-key-type", "ED25519"], daemon: daemon)
        #expect(badType.status == 64 && badType.errors.contains("'ED25519' is not a host key type crowbard knows"))
        #expect(try await client(of: daemon).nodes().map(\.name) == ["rack1-09"])
    }

    /// A live view's feed: `GET /events?follow=true` hands over the history after an id, then each new event as it is
    /// recorded (a node registered while the stream is open), and ends when crowbard goes away.
    @Test func theEventStreamDeliversNewEventsAndEndsWithCrowbard() async throws {
        let daemon = try Daemon(binaries: binaries, dataDir: dataDir)
        try await register("52:54:00:ee:00:01", daemon: daemon)
        let token = try String(contentsOf: dataDir.appendingPathComponent("api-token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let client = CrowbarClient(baseURL: daemon.url, token: token)
        let seen = EventLog()
        let follower = Task {
            try await client.followEvents(limit: .seconds(60)) { event in await seen.add(event) }
        }
        let cliOutput = dataDir.appendingPathComponent("events-follow.out").path
        var environment = ProcessInfo.processInfo.environment
        environment["CROWBAR_URL"] = daemon.url
        environment["CROWBAR_DATA_DIR"] = dataDir.path
        let cli = try ChildProcess(
            binaries.crowbar.path, ["events", "--follow", "--json"], environment: environment, stdout: cliOutput, stderr: cliOutput)
        defer { cli.signal(SIGKILL); cli.wait(timeout: 5) }
        #expect(await seen.waitFor(timeout: 10) { $0.contains { $0.subject == "d52-54-00-ee-00-01" } }, "the history before the stream")
        try await register("52:54:00:ee:00:02", daemon: daemon)
        let second = await seen.waitFor(timeout: 10) { $0.contains { $0.subject == "d52-54-00-ee-00-02" && $0.kind == .nodeRegistered } }
        #expect(second, "a node registered while the stream is open")
        let ids = await seen.events.map(\.id)
        #expect(ids == ids.sorted() && Set(ids).count == ids.count, "events arrive once each, in order: \(ids)")
        func printed() -> String { (try? String(contentsOfFile: cliOutput, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(10)
        while !printed().contains(#""subject":"d52-54-00-ee-00-02""#), Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(printed().contains(#""subject":"d52-54-00-ee-00-02""#), "crowbar events --follow printed: \(printed())")
        #expect(daemon.stop() == 0, "crowbard did not shut down gracefully with followers")
        let ended = await Task { try await follower.value }.result
        #expect((try? ended.get()) != nil || ended.failureDescription.contains("unreachable"), "\(ended)")
        #expect(cli.wait(timeout: 10) != nil, "crowbar events --follow ends when crowbard goes away")
    }
}

/// What a follower has received, for waiting on it with a bound.
private actor EventLog {
    private(set) var events: [Event] = []

    func add(_ event: Event) { events.append(event) }

    /// Whether `condition` holds within `timeout` seconds (checked every 50 ms).
    func waitFor(timeout: Double, _ condition: ([Event]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if condition(events) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition(events)
    }
}

extension Result {
    fileprivate var failureDescription: String {
        if case .failure(let error) = self { return "\(error)" }
        return ""
    }
}


@testable import CrowbarCore
import Foundation
import Subprocess
import Testing

/// Compiles recipes and runs the scripts with the real /bin/sh (dash) against files in a temporary folder:
/// the compiled shell is tested where it runs, not by comparing text.
@Suite("Compiled recipes run by /bin/sh")
final class RecipeScriptTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-recipe-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    static func context(_ attributes: [String: AttributeValue] = [:], roles: [String: [RecipeNode]] = [:]) -> RecipeContext {
        RecipeContext(
            barclamp: "demo", proposal: "default", attributes: .map(attributes),
            node: RecipeNode(name: "n1", address: "10.77.0.11"), roles: roles)
    }

    func recipe(_ yaml: String) throws -> Recipe {
        try RecipeParser.parse(yaml.replacingOccurrences(of: "$DIR", with: folder), name: "demo/server", file: "demo/server.yml")
    }

    /// Runs a compiled recipe with `sh -s` and returns its exit status and parsed output.
    static func run(_ compiled: CompiledRecipe) async throws -> (Int32?, RecipeOutput) {
        let result = try await Subprocess.run(
            .path("/bin/sh"), arguments: ["-s"], input: .string(compiled.script), output: .string(limit: 1 << 20),
            error: .string(limit: 1 << 20))
        var output = RecipeOutput(labels: compiled.resources, marker: compiled.marker)
        _ = output.consume(Array(result.standardOutput.utf8))
        _ = output.finish()
        if case .exited(let code) = result.terminationStatus { return (code, output) }
        return (nil, output)
    }

    func contents(_ name: String) -> String? {
        FileManager.default.contents(atPath: folder + "/" + name).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func hostileValuesArriveVerbatimAndNothingRunsFromThem() async throws {
        let hostile = "it's \"quoted\" $(touch \(folder)/pwned) `touch \(folder)/pwned2` $HOME \\n\nsecond line\n"
        let recipe = try recipe("""
            resources:
              - file: $DIR/out.conf
                content: "{{attributes.value}}"
                mode: "0600"
              - ini: $DIR/app.ini
                settings:
                  DEFAULT: {password: "{{attributes.password}}"}
            """)
        let password = "p'a\"s$(id)`w`d\\"
        let compiled = try RecipeCompiler.compile(
            recipe, templates: [:], context: Self.context(["value": .string(hostile), "password": .string(password)]), checkMode: false)
        let (status, output) = try await Self.run(compiled)
        #expect(status == 0)
        #expect(output.completed)
        #expect(contents("out.conf") == hostile)
        #expect(contents("app.ini") == "[DEFAULT]\npassword = \(password)\n")
        #expect(!FileManager.default.fileExists(atPath: folder + "/pwned"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/pwned2"))
        let mode = try FileManager.default.attributesOfItem(atPath: folder + "/out.conf")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let labelled = try RecipeCompiler.compile(
            try self.recipe("resources:\n  - command: \"true {{attributes.password}}\"\n"), templates: [:],
            context: Self.context(["password": .string(password)]), checkMode: false)
        #expect(labelled.resources == ["command true {{attributes.password}}"], "labels come from the unrendered recipe")
        #expect(!labelled.script.contains("sh -c"), "commands are not passed as arguments")
    }

    /// In `command`, `creates` and `unless` every `{{value}}` is one shell word, whatever it holds; `{{{value}}}` splices
    /// shell text on purpose; a `{{value}}` inside quotes is a compile error (its quotes would show).
    @Test func commandValuesAreOneShellWordEachAndNothingRunsFromThem() async throws {
        let hostile = "it's \"quoted\" $(touch \(folder)/pwned) `touch \(folder)/pwned2` $HOME; touch \(folder)/pwned3 \\"
        let recipe = try recipe("""
            resources:
              - command: "printf '%s|' {{attributes.value}} {{attributes.empty}} > $DIR/out"
                unless: "test -e $DIR/out.{{attributes.value}}"
              - command: "{{{attributes.raw}}}"
            """)
        let attributes: [String: AttributeValue] = [
            "value": .string(hostile), "empty": .string(""), "raw": .string("echo spliced > \(folder)/raw"),
        ]
        let (status, output) = try await Self.run(try RecipeCompiler.compile(recipe, templates: [:], context: Self.context(attributes), checkMode: false))
        #expect(status == 0)
        #expect(output.completed)
        #expect(contents("out") == hostile + "||", "one word each, the empty value an empty word")
        #expect(contents("raw") == "spliced\n")
        for name in ["pwned", "pwned2", "pwned3"] { #expect(!FileManager.default.fileExists(atPath: folder + "/" + name)) }

        for quoted in ["echo '{{attributes.value}}'", "echo \"x {{attributes.value}}\"", "DB_PASSWORD='{{attributes.value}}' helper"] {
            #expect {
                _ = try RecipeCompiler.compile(try self.recipe("resources:\n  - command: >-\n      \(quoted)\n"), templates: [:], context: Self.context(attributes), checkMode: false)
            } throws: { "\($0)".contains("{{attributes.value}} is inside quotes") }
        }
        // Outside shell texts values are not quoted: a file's content is the value itself.
        let file = try RecipeCompiler.compile(
            try self.recipe("resources:\n  - file: $DIR/plain\n    content: \"{{attributes.value}}\"\n"), templates: [:], context: Self.context(attributes), checkMode: false)
        _ = try await Self.run(file)
        #expect(contents("plain") == hostile)
    }

    @Test func firstRunChangesSecondRunChangesNothingAndCheckModeTouchesNothing() async throws {
        let recipe = try recipe("""
            resources:
              - file: $DIR/a.txt
                content: "{{node.name}} at {{node.address}}\\n"
              - command: "echo ran >> $DIR/log"
                creates: $DIR/a.txt.marker
              - command: "touch $DIR/a.txt.marker"
                unless: "test -e $DIR/a.txt.marker"
            """)
        let check = try RecipeCompiler.compile(recipe, templates: [:], context: Self.context(), checkMode: true)
        let (checkStatus, checkOutput) = try await Self.run(check)
        #expect(checkStatus == 0)
        #expect(checkOutput.results.map(\.status) == [.changed, .changed, .changed])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)

        let apply = try RecipeCompiler.compile(recipe, templates: [:], context: Self.context(), checkMode: false)
        let (_, first) = try await Self.run(apply)
        #expect(first.results.map(\.status) == [.changed, .changed, .changed])
        #expect(contents("a.txt") == "n1 at 10.77.0.11\n")
        let (_, second) = try await Self.run(apply)
        #expect(second.results.map(\.status) == [.ok, .ok, .ok])
        #expect(contents("log") == "ran\n")
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root")) func numericOwnersAreIdempotent() async throws {
        let recipe = try recipe("""
            resources:
              - file: $DIR/owned
                content: x
                owner: "0"
                group: "0"
                mode: "0640"
            """)
        let compiled = try RecipeCompiler.compile(recipe, templates: [:], context: Self.context(), checkMode: false)
        #expect(try await Self.run(compiled).1.results.map(\.status) == [.changed])
        #expect(try await Self.run(compiled).1.results.map(\.status) == [.ok])
    }

    /// The owner of a file's folder (a service account) racing the write: a stand-in for every tool the script
    /// could use swaps each new file in the folder for a link to a file it must not reach, before the real tool runs.
    @Test func aFolderOwnersLinkSwapNeverRedirectsTheWriteOrTheMode() async throws {
        let app = folder + "/app", victim = folder + "/shadow"
        try FileManager.default.createDirectory(atPath: app, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: victim, contents: Data("root:hash\n".utf8), attributes: [.posixPermissions: 0o600])
        FileManager.default.createFile(atPath: app + "/cookie", contents: Data("old".utf8), attributes: [.posixPermissions: 0o600])
        let swap = "for f in \(app)/*; do [ \"$f\" = \(app)/cookie ] || [ -L \"$f\" ] || { rm -f \"$f\"; ln -s \(victim) \"$f\"; }; done"
        let tools = ["cp", "chmod", "chown", "chgrp", "mv", "rm"].map { tool in
            let real = ["/bin/\(tool)", "/usr/bin/\(tool)"].first { FileManager.default.isExecutableFile(atPath: $0) }!
            return (tool, "\(swap)\nexec \(real) \"$@\"")
        }
        let (status, output, _) = try await runWithStandIns(
            Dictionary(uniqueKeysWithValues: tools), yaml: "resources:\n  - file: $DIR/app/cookie\n    content: \"new cookie\"\n    mode: \"0644\"\n")
        #expect(status == 0, "\(output.results)")
        #expect(contents("app/cookie") == "new cookie")
        #expect(contents("shadow") == "root:hash\n", "the victim's content is untouched")
        let victimMode = try FileManager.default.attributesOfItem(atPath: victim)[.posixPermissions] as? Int
        #expect(victimMode == 0o600, "the victim's mode is untouched")
        let cookie = try FileManager.default.attributesOfItem(atPath: app + "/cookie")
        #expect(cookie[.type] as? FileAttributeType == .typeRegular && cookie[.posixPermissions] as? Int == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: app) == ["cookie"], "no temporary file left behind")
    }

    @Test func iniSettingsKeepOtherLinesAndAddMissingSections() async throws {
        try """
        # managed elsewhere
        [DEFAULT]
        debug = true
        log_dir=/var/log/nova

        [database]
        # a comment
        connection = sqlite://

        [api]
        auth_strategy = noauth
        """.write(toFile: folder + "/nova.conf", atomically: true, encoding: .utf8)
        let recipe = try recipe("""
            resources:
              - ini: $DIR/nova.conf
                settings:
                  DEFAULT: {debug: false, transport_url: "rabbit://u:p@h:5672/"}
                  database: {connection: "mysql+pymysql://nova:{{attributes.db}}@10.0.0.1/nova"}
                  keystone_authtoken: {www_authenticate_uri: "http://10.0.0.1:5000/"}
            """)
        let compiled = try RecipeCompiler.compile(recipe, templates: [:], context: Self.context(["db": .string("s3cret")]), checkMode: false)
        let (_, first) = try await Self.run(compiled)
        #expect(first.results.map(\.status) == [.changed])
        #expect(contents("nova.conf") == """
            # managed elsewhere
            [DEFAULT]
            debug = false
            log_dir=/var/log/nova

            transport_url = rabbit://u:p@h:5672/
            [database]
            # a comment
            connection = mysql+pymysql://nova:s3cret@10.0.0.1/nova

            [api]
            auth_strategy = noauth

            [keystone_authtoken]
            www_authenticate_uri = http://10.0.0.1:5000/

            """)
        let (_, second) = try await Self.run(compiled)
        #expect(second.results.map(\.status) == [.ok])
    }

    @Test func iniSettingsGoToTheirSectionsFirstBlockAndTheLastBlockStaysOpen() async throws {
        try "[DEFAULT]\na = 1\n\n[api]\nx = 1\n[DEFAULT]\nb = 2\n[api]\ny = 1".write(toFile: folder + "/split.conf", atomically: true, encoding: .utf8)
        let recipe = try recipe("""
            resources:
              - ini: $DIR/split.conf
                settings:
                  DEFAULT: {b: "3"}
                  api: {z: "9", x: "2", y: "2"}
                  new: {n: "1"}
            """)
        let compiled = try RecipeCompiler.compile(recipe, templates: [:], context: Self.context([:]), checkMode: false)
        let (_, first) = try await Self.run(compiled)
        #expect(first.results.map(\.status) == [.changed])
        // b and y exist only in later blocks of their sections: set in the first blocks, the later lines left alone.
        #expect(contents("split.conf") == "[DEFAULT]\na = 1\n\nb = 3\n[api]\nx = 2\nz = 9\ny = 2\n[DEFAULT]\nb = 2\n[api]\ny = 1\n\n[new]\nn = 1\n")
        let (_, second) = try await Self.run(compiled)
        #expect(second.results.map(\.status) == [.ok])
    }

    @Test func anIniValueThatSpansLinesIsACompileErrorAndSectionEmptyIsTheLinesBeforeTheFirstHeader() async throws {
        let spanning = try recipe("resources:\n  - ini: $DIR/x.ini\n    settings:\n      DEFAULT: {a: \"{{attributes.v}}\"}\n")
        #expect(throws: DefinitionError.self) {
            try RecipeCompiler.compile(spanning, templates: [:], context: Self.context(["v": .string("one\n[evil]\ntwo")]), checkMode: false)
        }
        try "a = 1\n[S]\nx = 1\n".write(toFile: folder + "/plain.ini", atomically: true, encoding: .utf8)
        let plain = try recipe("resources:\n  - ini: $DIR/plain.ini\n    settings:\n      \"\": {a: \"2\", b: \"3\"}\n")
        _ = try await Self.run(try RecipeCompiler.compile(plain, templates: [:], context: Self.context([:]), checkMode: false))
        #expect(contents("plain.ini") == "a = 2\nb = 3\n[S]\nx = 1\n")
    }

    @Test func aFailingResourceStopsTheScriptWithItsOutput() async throws {
        let recipe = try recipe("""
            resources:
              - command: "echo about to fail; echo to stderr >&2; exit 7"
              - file: $DIR/never
                content: x
            """)
        let compiled = try RecipeCompiler.compile(recipe, templates: [:], context: Self.context(), checkMode: false)
        let (status, output) = try await Self.run(compiled)
        #expect(status == 1)
        #expect(!output.completed)
        #expect(output.results.count == 1)
        #expect(output.results.first?.status == .failed)
        #expect(output.results.first?.output == "about to fail\nto stderr\n")
        #expect(!FileManager.default.fileExists(atPath: folder + "/never"))
    }

    /// A package install against stand-ins for dpkg-query, dpkg and apt-get (a folder first on PATH) whose
    /// `apt-get install` fails `failures` times: one failure is retried after `dpkg --configure -a`, two fail.
    func installPackage(failures: Int) async throws -> (Int32?, RecipeOutput, String) {
        let log = folder + "/apt.log"
        let tools = [
            "dpkg-query": "[ -e \(folder)/installed ] && for p; do case $p in -*) ;; *) printf 'ii %s ' \"$p\" ;; esac; done; exit 0",
            "dpkg": "echo \"dpkg $*\" >> \(log)",
            "apt-get": """
                echo "apt-get $*" >> \(log)
                case "$*" in *install*) ;; *) exit 0 ;; esac
                count=$(cat \(folder)/attempts 2>/dev/null || echo 0); echo $((count + 1)) > \(folder)/attempts
                [ "$count" -ge \(failures) ] || { echo "postinst failed" >&2; exit 100; }
                touch \(folder)/installed
                """,
        ]
        return try await runWithStandIns(tools, yaml: "resources:\n  - package: [demo-dashboard]\n", log: log)
    }

    @Test func aPackageWhoseMaintainerScriptFailsOnceIsConfiguredAgainAndInstalled() async throws {
        let (status, output, log) = try await installPackage(failures: 1)
        #expect(status == 0)
        #expect(output.results.first?.status == .changed)
        #expect(output.results.first?.output.contains("apt-get install failed: configuring what is unpacked once more") == true)
        #expect(log.contains("dpkg --configure -a\napt-get install"), "\(log)")
        let (again, _, _) = try await installPackage(failures: 1)
        #expect(again == 0)
    }

    /// The installed check against this machine's real dpkg database: installed packages are ok, and only the missing
    /// one of a list would be installed.
    @Test func installedPackagesAreOkAndOnlyMissingOnesWouldBeInstalled() async throws {
        let recipe = try recipe("""
            resources:
              - package: [dpkg, coreutils]
              - package: [dpkg, crowbar-no-such-package, coreutils]
            """)
        let (status, output) = try await Self.run(try RecipeCompiler.compile(recipe, templates: [:], context: Self.context(), checkMode: true))
        #expect(status == 0)
        #expect(output.results.map(\.status) == [.ok, .changed])
        #expect(output.results.last?.output == "would install crowbar-no-such-package\n")
    }

    @Test func aPackageThatFailsTwiceFailsTheResource() async throws {
        let (status, output, log) = try await installPackage(failures: 2)
        #expect(status == 1)
        #expect(output.results.first?.status == .failed)
        #expect(log.components(separatedBy: "apt-get install").count - 1 == 2, "installed twice, not more: \(log)")
    }

    /// A service resource against stand-ins for systemctl and journalctl. Each start or restart ends as the next of
    /// `attempts` says: a number is the main process's exit status (a new `ExecMainStatus` and spawn time), "pre" a
    /// failure before any main process (both kept). `active` runs the unit already, with a restart owed (a file it
    /// subscribes to changes); `stale` is the status a main process left before this run.
    func service(attempts: [String], active: Bool = false, stale: Int = 0) async throws -> (Int32?, RecipeOutput, String) {
        let log = folder + "/systemctl.log"
        try "\(stale)\n".write(toFile: folder + "/status", atomically: true, encoding: .utf8)
        let tools = [
            "systemctl": """
                echo "systemctl $*" >> \(log)
                case $1 in
                    is-active) exit \(active ? 0 : 3) ;;
                    show) case $3 in ExecMainStatus) cat \(folder)/status ;; *) cat \(folder)/spawned 2>/dev/null || echo 0 ;; esac ;;
                    start|restart)
                        count=$(cat \(folder)/starts 2>/dev/null || echo 0); echo $((count + 1)) > \(folder)/starts
                        set -- \(attempts.joined(separator: " ")); shift "$count"
                        [ "$1" = pre ] && { echo "Job for demo.service failed" >&2; exit 1; }
                        echo "$1" > \(folder)/status; echo "$((count + 1))000" > \(folder)/spawned
                        [ "$1" = 0 ] || { echo "Job for demo.service failed" >&2; exit 1; } ;;
                esac
                """,
            "journalctl": "echo 'demo.service: Main process exited, code=exited'",
        ]
        let yaml = active
            ? "resources:\n  - file: $DIR/demo.conf\n    content: new\n  - service: demo\n    running: true\n    subscribes: [$DIR/demo.conf]\n"
            : "resources:\n  - service: demo\n    running: true\n"
        return try await runWithStandIns(tools, yaml: yaml, log: log)
    }

    /// Compiles `yaml` and runs it with stand-ins (tool name → sh body) first on PATH and its owed restarts kept in the
    /// scratch folder; answers its exit status, its output and what the stand-ins wrote to `log`.
    func runWithStandIns(_ tools: [String: String], yaml: String, log: String? = nil) async throws -> (Int32?, RecipeOutput, String) {
        let bin = folder + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        for (name, body) in tools {
            FileManager.default.createFile(atPath: "\(bin)/\(name)", contents: Data("#!/bin/sh\n\(body)\n".utf8), attributes: [.posixPermissions: 0o755])
        }
        var compiled = try RecipeCompiler.compile(try recipe(yaml), templates: [:], context: Self.context(), checkMode: false)
        compiled.script = compiled.script.replacingOccurrences(of: "PATH=/usr/local/sbin", with: "PATH=\(bin):/usr/local/sbin")
            .replacingOccurrences(of: RecipeCompiler.restartFolder, with: folder + "/pending-restart")
        let (status, output) = try await Self.run(compiled)
        return (status, output, log.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? "")
    }

    /// systemd's 219/CGROUP (it could not move the main process into the unit's control group) is started once more,
    /// after a failed start as after a failed restart; the real-systemd case is the lab's labcheck-once unit.
    @Test(arguments: [false, true])
    func aStartThatSystemdCouldNotPlaceInItsCgroupIsStartedOnceMore(active: Bool) async throws {
        let (status, output, log) = try await service(attempts: ["219", "0"], active: active)
        let verb = active ? "restart" : "start"
        #expect(status == 0)
        #expect(output.results.last?.status == .changed)
        #expect(output.results.last?.output.contains("\(verb) demo: systemd could not move its process") == true)
        #expect(output.results.last?.output.contains("\(verb) demo: done") == true)
        #expect(log.contains("systemctl \(verb) demo\n"))
        #expect(log.hasSuffix("systemctl reset-failed demo\nsystemctl start demo\n"), "\(log)")
        #expect(log.components(separatedBy: "systemctl \(verb) demo\n").count - 1 == (active ? 1 : 2), "one attempt more: \(log)")
    }

    /// A second 219, any other exit status, and a failure before the main process (whose status is still an earlier
    /// 219) fail the resource with the journal after one attempt more at most.
    @Test(arguments: [(["219", "219"], 0, 2), (["1", "0"], 0, 1), (["pre", "0"], 219, 1)])
    func anyOtherFailedStartFailsWithTheJournal(attempts: [String], stale: Int, tries: Int) async throws {
        let (status, output, log) = try await service(attempts: attempts, stale: stale)
        #expect(status == 1)
        #expect(output.results.first?.status == .failed)
        #expect(output.results.first?.output.contains("Main process exited") == true)
        #expect(log.components(separatedBy: "systemctl start").count - 1 == tries, "\(log)")
    }

    @Test func aResourceAppliesOnlyWhereItsConditionHolds() async throws {
        let recipe = try recipe("""
            resources:
              - file: $DIR/rbd
                content: rbd
                when: "{{attributes.backend}} == rbd"
              - file: $DIR/lvm
                content: lvm
                when: "{{attributes.backend}} == lvm"
              - file: $DIR/not-lvm
                content: x
                when: "{{attributes.backend}} != lvm"
              - command: "touch $DIR/flag"
                when: "{{attributes.enabled}}"
            """)
        let compiled = try RecipeCompiler.compile(
            recipe, templates: [:], context: Self.context(["backend": .string("rbd"), "enabled": .boolean(false)]), checkMode: false)
        #expect(compiled.resources == ["file \(folder)/rbd", "file \(folder)/not-lvm"])
        let (status, output) = try await Self.run(compiled)
        #expect(status == 0 && output.completed)
        #expect(output.results.map(\.index) == [1, 2])
        #expect(contents("rbd") == "rbd" && contents("not-lvm") == "x")
        #expect(contents("lvm") == nil && contents("flag") == nil)
        let unclear = try self.recipe("""
            resources:
              - file: $DIR/x
                content: x
                when: "{{attributes.backend}}"
            """)
        #expect(throws: DefinitionError.self) {
            try RecipeCompiler.compile(unclear, templates: [:], context: Self.context(["backend": .string("rbd")]), checkMode: false)
        }
    }

    @Test func templatesRenderAndUnknownNamesAreCompileErrors() throws {
        let recipe = try recipe("""
            resources:
              - template: /etc/chrony/chrony.conf
                source: chrony.conf.mustache
            """)
        let compiled = try RecipeCompiler.compile(
            recipe, templates: ["chrony.conf.mustache": "{{#attributes.servers}}server {{.}} iburst\n{{/attributes.servers}}"],
            context: Self.context(["servers": .list([.string("a&b"), .string("<c>")])]), checkMode: false)
        #expect(compiled.script.contains("server a&b iburst\nserver <c> iburst\n"))
        #expect {
            try RecipeCompiler.compile(
                recipe, templates: ["chrony.conf.mustache": "server {{attributes.servr}}"], context: Self.context(), checkMode: false)
        } throws: { "\($0)" == "demo/server.yml:2:5: source chrony.conf.mustache: template refers to 'attributes.servr', which is not defined" }
        #expect {
            try RecipeCompiler.compile(recipe, templates: [:], context: Self.context(), checkMode: false)
        } throws: { "\($0)".contains("template 'chrony.conf.mustache' not found") }
    }

    @Test func serverNamesTheFirstNodeOfARoleAndARoleWithoutNodesIsACompileError() throws {
        let recipe = try recipe("""
            resources:
              - file: /etc/db.url
                content: "mysql://{{server.database-server.address}}/ {{#roles.compute}}{{name}} {{/roles.compute}}on {{node.name}}"
            """)
        var context = Self.context(roles: [
            "database-server": [RecipeNode(name: "n1", address: "10.77.0.11")],
            "compute": [RecipeNode(name: "n2", address: "10.77.0.12"), RecipeNode(name: "n3", address: "10.77.0.13")],
        ])
        let compiled = try RecipeCompiler.compile(recipe, templates: [:], context: context, checkMode: false)
        #expect(compiled.script.contains("mysql://10.77.0.11/ n2 n3 on n1"))
        // The nodes of a step share one scope; each still renders as itself.
        context.node = RecipeNode(name: "n2", address: "10.77.0.12")
        #expect(try RecipeCompiler.compile(recipe, templates: [:], context: context, checkMode: false).script.contains("n2 n3 on n2"))
        #expect {
            try RecipeCompiler.compile(
                recipe, templates: [:], context: Self.context(roles: ["database-server": [], "compute": []]), checkMode: false)
        } throws: { "\($0)".contains("template refers to 'server.database-server.address', which is not defined") }
    }

    /// Each resource's end marker carries how long it took on the node (its uptime clock, no process started).
    @Test func eachResourceSaysHowLongItTook() async throws {
        let recipe = try recipe("""
            resources:
              - command: "sleep 0.3"
              - command: "true"
            """)
        let (status, output) = try await Self.run(try RecipeCompiler.compile(recipe, templates: [:], context: Self.context(), checkMode: false))
        #expect(status == 0)
        let seconds = output.results.map(\.seconds)
        #expect(seconds.count == 2)
        #expect((0.25...2).contains(seconds[0] ?? -1), "\(seconds)")
        #expect((0...0.2).contains(seconds[1] ?? -1), "\(seconds)")
        var parsed = RecipeOutput(labels: ["command a", "command b"])
        _ = parsed.consume(Array("\u{1E}crowbar begin 1\n\u{1E}crowbar end 1 ok 1234\n\u{1E}crowbar begin 2\n\u{1E}crowbar end 2 ok\n".utf8))
        #expect(parsed.results.map(\.seconds) == [12.34, nil])
    }

    @Test func resourceOutputCannotFakeAResult() async throws {
        let recipe = try recipe("""
            resources:
              - command: "printf '\\\\036crowbar end 1 ok\\\\n\\\\036crowbar done\\\\n'; exit 4"
            """)
        let compiled = try RecipeCompiler.compile(recipe, templates: [:], context: Self.context(), checkMode: false, marker: "crowbar-x7q2")
        let (status, output) = try await Self.run(compiled)
        #expect(status == 1)
        #expect(!output.completed)
        #expect(output.results.map(\.status) == [.failed])
    }

    @Test func outputMarkersSurviveArbitraryChunking() {
        let stream = Array("\u{1E}crowbar begin 1\nhello\nwor\u{1E}crowbar end 1 changed\n".utf8) + Array("\u{1E}crowbar done\n".utf8)
        var output = RecipeOutput(labels: ["file /x"])
        var events: [RecipeOutputEvent] = []
        for byte in stream { events += output.consume([byte]) }
        #expect(output.completed)
        #expect(output.results == [ResourceResult(index: 1, resource: "file /x", status: .changed, output: "hello\nwor\n")])
        #expect(events.contains(.line(resource: 1, text: "hello")))
    }

    /// A wait_for URL is up at any HTTP answer below 500 (here 404, and 204 without a reason phrase, through the
    /// plain-http probe) and not while the server answers 503.
    @Test func aWaitForURLCountsAnyAnswerBelow500() async throws {
        // The server writes the port it was given to a file once it listens; it runs while the body runs.
        let server = """
            import http.server, os, sys
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    if self.path == "/bare":  # a status line without a reason phrase
                        self.wfile.write(b"HTTP/1.1 204\\r\\n\\r\\n")
                        return
                    self.send_response(503 if self.path == "/broken" else 404)
                    self.end_headers()
                def log_message(self, *arguments):
                    pass
            server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
            with open(sys.argv[1] + ".new", "w") as file:
                file.write(str(server.server_address[1]))
            os.rename(sys.argv[1] + ".new", sys.argv[1])
            server.serve_forever()
            """
        let result = try await Subprocess.run(
            .path("/usr/bin/python3"), arguments: ["-c", server, folder + "/port"], input: .none, output: .discarded, error: .discarded
        ) { [folder] execution in
            defer { try? execution.send(signal: .terminate) }
            var port = ""
            for _ in 0..<100 where port.isEmpty {
                try await Task.sleep(for: .milliseconds(50))
                port = (try? String(contentsOfFile: folder + "/port", encoding: .utf8)) ?? ""
            }
            try #require(!port.isEmpty, "the test's HTTP server did not start")
            let recipe = try RecipeParser.parse("""
                resources:
                  - wait_for: "http://127.0.0.1:\(port)/up"
                    timeout: 5
                  - wait_for: "http://127.0.0.1:\(port)/bare"
                    timeout: 5
                  - wait_for: "http://127.0.0.1:\(port)/broken"
                    timeout: 1
                """, name: "demo/server", file: "demo/server.yml")
            return try await Self.run(try RecipeCompiler.compile(recipe, templates: [:], context: Self.context(), checkMode: false))
        }
        let (status, output) = result.closureResult
        #expect(status != 0)
        #expect(output.results.map(\.status) == [.ok, .ok, .failed])
        #expect(output.results.last?.output.contains("did not answer within 1 s") == true)
    }

    @Test func plainHTTPURLsAreSplitForTheShellProbeAndOthersAreLeftToPython() {
        #expect(ResourceScript.plainHTTP("http://127.0.0.1:5000/v3")! == ("127.0.0.1", "5000", "/v3"))
        #expect(ResourceScript.plainHTTP("http://node-1.example/horizon/auth/login/")! == ("node-1.example", "80", "/horizon/auth/login/"))
        #expect(ResourceScript.plainHTTP("http://10.0.0.1:8774")! == ("10.0.0.1", "8774", "/"))
        #expect(ResourceScript.plainHTTP("http://10.0.0.1?a=1#part")! == ("10.0.0.1", "80", "/?a=1"))
        for other in ["https://10.0.0.1/", "http://[::1]:80/", "http://10.0.0.1/a b", "http://user@10.0.0.1/", "http://h:0/",
                      "http://h:99999/", "http://:80/", "http://h/\r\nX: y"] {
            #expect(ResourceScript.plainHTTP(other) == nil, "\(other)")
        }
    }
}

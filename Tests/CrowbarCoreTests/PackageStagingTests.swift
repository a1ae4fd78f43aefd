@testable import CrowbarCore
import Foundation
import Subprocess
import Testing

/// What a recipe lets be installed ahead (its leading packages), and the staging recipe run by the real /bin/sh against
/// this machine's dpkg database (only installed packages are named, so nothing is installed).
@Suite final class PackageStagingTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-staging-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    @Test func leadingPackagesStopAtTheFirstOtherResourceAndFollowConditionsAndTemplates() throws {
        let recipe = try RecipeParser.parse(
            """
            resources:
              - package: [nova-compute, "{{attributes.hypervisor}}"]
              - package: [lvm2]
                when: "{{attributes.backend}} == lvm"
              - package: [ceph-common, nova-compute]
                when: "{{attributes.backend}} == rbd"
              - file: /etc/default/demo
                content: "preseed"
              - package: [demo]
            """, name: "demo/compute", file: "demo/compute.yml")
        let context = RecipeScriptTests.context(["hypervisor": .string("qemu-system-x86"), "backend": .string("rbd")])
        #expect(try RecipeCompiler.leadingPackages(recipe, context: context) == ["nova-compute", "qemu-system-x86", "ceph-common"])
        let none = try RecipeParser.parse("resources:\n  - command: \"true\"\n  - package: [demo]\n", name: "demo/late", file: "late.yml")
        #expect(try RecipeCompiler.leadingPackages(none, context: context).isEmpty)
    }

    /// A compiled recipe names its last package resource among those its conditions keep: after it, packages can be
    /// staged beside the step.
    @Test func aCompiledRecipeNamesItsLastPackageResource() throws {
        let recipe = try RecipeParser.parse(
            """
            resources:
              - package: [nova-compute]
              - file: /etc/default/demo
                content: "preseed"
              - package: [lvm2]
                when: "{{attributes.backend}} == lvm"
              - package: [ceph-common]
                when: "{{attributes.backend}} == rbd"
              - command: "true"
            """, name: "demo/compute", file: "demo/compute.yml")
        let compile = { (backend: String) in
            try RecipeCompiler.compile(
                recipe, templates: [:], context: RecipeScriptTests.context(["backend": .string(backend)]), checkMode: false).lastPackage
        }
        #expect(try compile("rbd") == 3)
        #expect(try compile("lvm") == 3)
        #expect(try compile("none") == 1)
        let none = try RecipeParser.parse("resources:\n  - command: \"true\"\n", name: "demo/none", file: "none.yml")
        #expect(try RecipeCompiler.compile(none, templates: [:], context: RecipeScriptTests.context([:]), checkMode: false).lastPackage == 0)
    }

    /// A recipe may use dpkg when it installs packages, runs commands, adds users or writes where apt, dpkg or
    /// maintainer scripts keep state; one that only writes other files and manages services leaves dpkg alone.
    @Test func aCompiledRecipeSaysWhetherItMayUseDpkg() throws {
        let mayUseDpkg = { (resource: String) in
            try RecipeCompiler.compile(
                try RecipeParser.parse("resources:\n  - service: chrony\n\(resource)", name: "demo/one", file: "one.yml"),
                templates: ["t.mustache": "x"], context: RecipeScriptTests.context([:]), checkMode: false
            ).mayUseDpkg
        }
        #expect(try !mayUseDpkg("  - template: /etc/resolv.conf\n    source: t.mustache\n"))
        #expect(try !mayUseDpkg("  - file: /etc/aptly.conf\n    content: x\n"))
        #expect(try !mayUseDpkg("  - ini: /etc/nova/nova.conf\n    settings: {DEFAULT: {debug: \"false\"}}\n"))
        #expect(try mayUseDpkg("  - package: [chrony]\n"))
        #expect(try mayUseDpkg("  - command: \"true\"\n"))
        #expect(try mayUseDpkg("  - user: nova\n"))
        #expect(try mayUseDpkg("  - file: /etc/apt/sources.list\n    content: x\n"))
        #expect(try mayUseDpkg("  - file: //usr/sbin/./policy-rc.d\n    content: x\n"))
        #expect(try mayUseDpkg("  - template: /etc/nova/../apt/apt.conf.d/90crowbar\n    source: t.mustache\n"))
        #expect(try mayUseDpkg("  - ini: /var/lib/dpkg/status\n    settings: {a: {b: c}}\n"))
        #expect(try mayUseDpkg("  - file: /etc/passwd\n    content: x\n"))
        #expect(try mayUseDpkg("  - file: /sbin/policy-rc.d\n    content: x\n"))
        #expect(try mayUseDpkg("  - file: /usr/share/keyrings/crowbar.gpg\n    content: x\n"))
    }

    @Test func stagingChecksTheInstalledPackagesWhereServicesAreHeld() async throws {
        let held = heldServices()
        let recipe = PackageStaging.recipe(packages: ["dpkg", "coreutils"], servicesHeldBy: held)
        let (status, output) = try await RecipeScriptTests.run(
            try RecipeCompiler.compile(recipe, templates: [:], context: RecipeScriptTests.context(), checkMode: false))
        #expect(status == 0)
        #expect(output.results.map(\.resource) == ["services held", "package dpkg coreutils"])
        #expect(output.results.map(\.status) == [.ok, .ok])
    }

    @Test func stagingRefusesBeforeInstallingWhereAPackageWouldStartItsServices() async throws {
        let recipe = PackageStaging.recipe(packages: ["crowbar-no-such-package"], servicesHeldBy: folder + "/absent")
        let (status, output) = try await RecipeScriptTests.run(
            try RecipeCompiler.compile(recipe, templates: [:], context: RecipeScriptTests.context(), checkMode: false))
        #expect(status == 1)
        #expect(output.results.map(\.status) == [.failed], "the package resource never ran")
        #expect(output.results.first?.output.contains("a package install would start its services") == true)
    }

    /// A `policy-rc.d` that holds services, in the test's folder: staging may install.
    func heldServices() -> String {
        let held = folder + "/policy-rc.d"
        #expect(FileManager.default.createFile(atPath: held, contents: Data("#!/bin/sh\nexit 101\n".utf8), attributes: [.posixPermissions: 0o755]))
        return held
    }

    /// The staging recipe as `name`, behind the steps from the start when `lowered`, followed by a command that waits (at most 10 s) for the file
    /// `go` in the test's folder when `waitForGo`, then prints its session's priority: "nice <process nice> <autogroup's
    /// nice>", the latter "none" where the kernel shows no autogroup (a session whose leader is outside the container).
    func stagingThatReportsItsPriority(_ name: String, lowered: Bool = true, waitForGo: Bool = false) throws -> CompiledRecipe {
        let held = heldServices()
        var recipe = PackageStaging.recipe(
            packages: ["dpkg"], servicesHeldBy: held, priority: (StagingPriority(niceness: 10, folder: folder), name, lowered))
        let wait = waitForGo ? "for i in $(seq 100); do [ -e \(folder)/go ] && break; sleep 0.1; done; " : ""
        recipe.resources.append(Resource(
            kind: .command(
                run: wait + "ag=$(sed -n 's/.* nice //p' /proc/$$/autogroup 2>/dev/null); "
                    + "echo nice $(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f17) ${ag:-none}",
                creates: nil, unless: nil),
            location: SourceLocation(file: "test", line: 1), label: "report"))
        return try RecipeCompiler.compile(recipe, templates: [:], context: RecipeScriptTests.context(), checkMode: false)
    }

    /// Runs `script` with `sh -s` as the leader of a session of its own, as sshd starts a recipe.
    static func runInOwnSession(_ script: String) async throws -> (Int32?, String) {
        let result = try await Subprocess.run(
            .path("/usr/bin/setsid"), arguments: ["--wait", "sh", "-s"], input: .string(script), output: .string(limit: 1 << 20),
            error: .string(limit: 1 << 20))
        if case .exited(let code) = result.terminationStatus { return (code, result.standardOutput) }
        return (nil, result.standardOutput)
    }

    static func report(_ compiled: CompiledRecipe, _ output: String) -> String? {
        var parsed = RecipeOutput(labels: compiled.resources, marker: compiled.marker)
        _ = parsed.consume(Array(output.utf8))
        _ = parsed.finish()
        return parsed.results.first { $0.resource == "report" }?.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A staging behind the steps runs its whole session (the recipe's children too) at nice 10, its autogroup as well;
    /// run outside a session of its own (here, the test's) it changes nothing.
    @Test func aStagingBehindTheStepsLowersItsOwnSessionOnly() async throws {
        let compiled = try stagingThatReportsItsPriority("staging-a")
        let (status, output) = try await Self.runInOwnSession(compiled.script)
        #expect(status == 0, "\(output)")
        #expect(Self.report(compiled, output) == "nice 10 10", "\(output)")
        let (keptStatus, kept) = try await RecipeScriptTests.run(compiled)
        #expect(keptStatus == 0)
        #expect(kept.results.first { $0.resource == "behind the steps" }?.output.contains("priority kept") == true)
        #expect(kept.results.first { $0.resource == "report" }?.output.hasPrefix("nice 0 ") == true, "\(kept.results)")
        #expect(kept.results.first { $0.resource == "report" }?.output.hasSuffix(" 10\n") == false, "\(kept.results)")
    }

    /// Waits (at most 10 s) until a staging has recorded its session as `name`'s.
    func waitForSession(of name: String) async throws {
        for _ in 0..<100 where !(FileManager.default.contents(atPath: folder + "/crowbar-staging.session").map {
            String(decoding: $0, as: UTF8.self).contains(name)
        } ?? false) {
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Runs `staging` (made to wait for `go`) in a session of its own, runs `scripts` once it has recorded its session
    /// as `name`'s, then lets it go on; answers its exit status and output.
    func run(_ staging: CompiledRecipe, as name: String, after scripts: [String]) async throws -> (Int32?, String) {
        async let running = Self.runInOwnSession(staging.script)
        try await waitForSession(of: name)
        for script in scripts { _ = try await Self.runInOwnSession(script) }
        _ = FileManager.default.createFile(atPath: folder + "/go", contents: nil)
        return try await running
    }

    /// A staging begun at the steps' priority is lowered by a lowering for it, whether it comes while the staging runs
    /// or before it has started; a lowering for another staging leaves it alone.
    @Test func aLoweringTakesAStagingBegunAtTheStepsPriorityBehindThem() async throws {
        let priority = StagingPriority(niceness: 10, folder: folder)
        let during = try stagingThatReportsItsPriority("staging-during", lowered: false, waitForGo: true)
        let (status, output) = try await run(during, as: "staging-during", after: [priority.lowering(staging: "staging-during")])
        #expect(status == 0, "\(output)")
        #expect(Self.report(during, output) == "nice 10 10", "lowered while it ran: \(output)")

        _ = try await Self.runInOwnSession(priority.lowering(staging: "staging-before"))
        let before = try stagingThatReportsItsPriority("staging-before", lowered: false)
        let (_, early) = try await Self.runInOwnSession(before.script)
        #expect(Self.report(before, early) == "nice 10 10", "lowered before it started: \(early)")
        let other = try stagingThatReportsItsPriority("staging-other", lowered: false)
        let (_, kept) = try await Self.runInOwnSession(other.script)
        #expect(Self.report(other, kept) == "nice 0 0", "another staging's lowering: \(kept)")
    }

    /// A raise for the staging, while it runs or before it has lowered itself, brings its session back to nice 0 and
    /// keeps it there against a later lowering; a raise for another staging does not.
    @Test func aRaiseBringsTheStagingBackWhenItComes() async throws {
        guard getuid() == 0 else { return }  // lowering a nice value takes root (CAP_SYS_NICE), as on a node
        let priority = StagingPriority(niceness: 10, folder: folder)
        let during = try stagingThatReportsItsPriority("staging-during", waitForGo: true)
        let (status, output) = try await run(during, as: "staging-during", after: [
            priority.raising(staging: "someone-else"), priority.raising(staging: "staging-during"),
            priority.lowering(staging: "staging-during"),
        ])
        #expect(status == 0, "\(output)")
        #expect(Self.report(during, output) == "nice 0 0", "raised while it ran, then not lowered: \(output)")

        _ = try await Self.runInOwnSession(priority.raising(staging: "staging-before"))
        let before = try stagingThatReportsItsPriority("staging-before")
        let (_, early) = try await Self.runInOwnSession(before.script)
        #expect(Self.report(before, early) == "nice 0 0", "raised before it lowered itself: \(early)")
        let other = try stagingThatReportsItsPriority("staging-other")
        let (_, lowered) = try await Self.runInOwnSession(other.script)
        #expect(Self.report(other, lowered) == "nice 10 10", "another staging's raise: \(lowered)")
    }
}

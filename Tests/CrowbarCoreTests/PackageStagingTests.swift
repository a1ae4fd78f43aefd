@testable import CrowbarCore
import Foundation
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

    @Test func stagingChecksTheInstalledPackagesWhereServicesAreHeld() async throws {
        let held = folder + "/policy-rc.d"
        #expect(FileManager.default.createFile(atPath: held, contents: Data("#!/bin/sh\nexit 101\n".utf8), attributes: [.posixPermissions: 0o755]))
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
}

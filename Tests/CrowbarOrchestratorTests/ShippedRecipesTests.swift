import CrowbarControl
import CrowbarCore
import Foundation
import Testing

@testable import CrowbarCore
@testable import CrowbarOrchestrator

/// Every role of every shipped barclamp names a recipe that RecipeBook reads as crowbard will (shared sections,
/// shorthands, templates), so a broken recipe fails here rather than half-way through a deploy day.
@Suite struct ShippedRecipesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyRolesRecipeLoads() throws {
        let catalog = try BarclampDirectory.load(Self.root.appendingPathComponent("barclamps").path)
        let book = RecipeBook(root: Self.root.appendingPathComponent("recipes").path)
        var loaded = 0
        for barclamp in catalog.runOrder {
            for role in barclamp.roles {
                let (recipe, templates) = try book.load(role.recipe)
                #expect(!recipe.resources.isEmpty, "\(role.recipe) has no resources")
                for case .template(_, let source, _) in recipe.resources.map(\.kind) {
                    let template = try #require(templates[source], "\(role.recipe): no template \(source)")
                    _ = try RecipeCompiler.withPartials(template, templates: templates, location: SourceLocation(file: source, line: 1), key: source)
                }
                loaded += 1
            }
        }
        #expect(loaded >= 20)
        #expect(try book.shared().settings.keys.sorted() == ["keystone_authtoken", "neutron_common"])
        #expect(try book.shared().resources.keys.sorted() == ["ceph_node", "chrony_service", "nova_compute"])
    }

    /// A recipe that installs packages leaves apt and dpkg alone otherwise (no command runs them, no file is written
    /// where they keep their state, no template it writes calls them): package staging installs beside a step past its
    /// last package (``CompiledRecipe/lastPackage``) and beside a step whose packages are all staged, and dpkg takes one
    /// user at a time.
    @Test func aRecipeThatInstallsPackagesLeavesAptAndDpkgAloneOtherwise() throws {
        let catalog = try BarclampDirectory.load(Self.root.appendingPathComponent("barclamps").path)
        let book = RecipeBook(root: Self.root.appendingPathComponent("recipes").path)
        let tool = /(^|[^A-Za-z0-9_-])(apt|apt-get|apt-cache|aptitude|dpkg|dpkg-[a-z]+|debconf-[a-z-]+)([^A-Za-z0-9_-]|$)/
        var checked = 0
        for barclamp in catalog.runOrder {
            for role in barclamp.roles {
                let (recipe, templates) = try book.load(role.recipe)
                guard recipe.resources.contains(where: { if case .package = $0.kind { true } else { false } }) else { continue }
                for resource in recipe.resources {
                    var texts: [String] = []
                    switch resource.kind {
                    case .command(let run, let creates, let unless): texts = [run, creates ?? "", unless ?? ""]
                    case .file(let path, _, _), .ini(let path, _, _): texts = [path]
                    case .template(let path, let source, _): texts = [path, templates[source] ?? ""]
                    default: continue
                    }
                    for text in texts {
                        #expect(text.firstMatch(of: tool) == nil && !text.contains("/etc/apt") && !text.contains("/var/lib/dpkg"),
                            "\(role.recipe): \(resource.label) uses apt or dpkg")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked > 50)
    }

    /// Every role's recipe compiles for a node of the lab cloud and its checks (docs/examples): each proposal's
    /// attributes are its barclamp's defaults with generated secrets and the batch file's values, every role has the
    /// nodes the batch file gives it (a barclamp the files leave out: defaults, its roles on n1). A name a template uses that no barclamp defines fails here, not mid-deploy.
    /// Every secret holds quotes, `$()` and backquotes, and each compiled script and each command text in it must still
    /// be valid shell (`sh -n`).
    @Test func everyRoleCompilesForTheLabCloud() throws {
        let hostile = { (barclamp: String) in "s3'c\"r$(false)`false`-\(barclamp)" }
        let catalog = try BarclampDirectory.load(Self.root.appendingPathComponent("barclamps").path)
        let book = RecipeBook(root: Self.root.appendingPathComponent("recipes").path)
        var barclamps: [String: AttributeValue] = [:]
        var roles: [String: [RecipeNode]] = [:]
        for file in ["lab-cloud.yml", "lab-verification.yml"] {
            let path = Self.root.appendingPathComponent("docs/examples/\(file)").path
            let batch = try BatchFileParser.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
            for entry in batch.proposals {
                let barclamp = try #require(catalog[entry.barclamp], "\(file): no barclamp \(entry.barclamp)")
                var content = ProposalEditor.initialContent(for: barclamp) { hostile(entry.barclamp) }
                for (path, value) in entry.attributeEdits(schema: barclamp) {
                    content = try ProposalEditor.set(path, to: value, in: content, barclamp: barclamp)
                }
                barclamps[entry.barclamp] = content.attributes
                for (role, aliases) in entry.elements {
                    roles[role] = aliases.enumerated().map { RecipeNode(name: "n\($0.offset + 1)", address: "192.168.124.\(81 + $0.offset)") }
                }
            }
        }
        // Barclamps the lab files leave out (tempest): their defaults, every role on n1.
        for barclamp in catalog.runOrder where barclamps[barclamp.name] == nil {
            barclamps[barclamp.name] = ProposalEditor.initialContent(for: barclamp) { hostile(barclamp.name) }.attributes
            for role in barclamp.roles { roles[role.name] = [RecipeNode(name: "n1", address: "192.168.124.81")] }
        }
        var compiled = 0
        var leavingDpkgAlone: [String] = []
        for barclamp in catalog.runOrder {
            guard let attributes = barclamps[barclamp.name] else { continue }
            for role in barclamp.roles {
                let (recipe, templates) = try book.load(role.recipe)
                let context = RecipeContext(
                    barclamp: barclamp.name, proposal: "default", attributes: attributes,
                    node: RecipeNode(name: "n1", address: "192.168.124.81"), roles: roles, barclamps: barclamps,
                    admin: RecipeAdmin(repositoryKey: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ'\"$(x)\n-----END PGP PUBLIC KEY BLOCK-----\n"))
                let compiledRecipe = try RecipeCompiler.compile(recipe, templates: templates, context: context, checkMode: false)
                let script = compiledRecipe.script
                if !compiledRecipe.mayUseDpkg { leavingDpkgAlone.append(role.recipe) }
                // The script, and each command text it carries as data (written to a file on the node and run there).
                var shellTexts = [script]
                for resource in recipe.resources where try RecipeCompiler.holds(resource, context: context) {
                    if case .command(let run, _, let unless) = try RecipeCompiler.render(resource, templates: templates, context: context) {
                        shellTexts += [run] + (unless.map { [$0] } ?? [])
                    }
                }
                for text in shellTexts {
                    let check = Process()
                    check.executableURL = URL(fileURLWithPath: "/bin/sh")
                    check.arguments = ["-n", "-c", text]
                    try check.run()
                    check.waitUntilExit()
                    #expect(check.terminationStatus == 0, "\(role.recipe): not valid shell:\n\(text.prefix(400))")
                }
                compiled += 1
            }
        }
        #expect(compiled == catalog.runOrder.reduce(0) { $0 + $1.roles.count })
        // The roles that run beside a package staging on their node without waiting for it (``CompiledRecipe/mayUseDpkg``).
        #expect(leavingDpkgAlone == ["dns/dns-client"], "\(leavingDpkgAlone)")
    }
}

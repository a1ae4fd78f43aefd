import CrowbarControl
import CrowbarCore
import CrowbarStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import CrowbarOrchestrator

/// Server-side batches with the real orchestrator and batch runner over a SQLite file, recipes run by the local shell:
/// a batch applies its proposals in order, and a crowbard stopped mid-batch resumes it without applying a finished
/// proposal again or queuing a second run for the one in flight.
@Suite final class BatchTests {
    let folder: URL
    let catalog: BarclampCatalog

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-batch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        catalog = try BarclampDirectory.load(OrchestratorTests.fixtures.appendingPathComponent("barclamps").path)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// A batch file naming n1 `one` and n2 `two`, then `proposals` (items of its `proposals:` list).
    static func twoNodes(_ proposals: String) -> String {
        """
        nodes:
          - alias: one
            name: n1
          - alias: two
            name: n2
        proposals:
        \(proposals)
        """
    }

    /// Two proposals of `steps`: `first` on n1, then `second` on n2 (pausing so a stop can land inside it).
    static let file = BatchTests.twoNodes(
        """
          - barclamp: steps
            name: second
            attributes: {pause: "0.3"}
            deployment:
              elements:
                steps-one: ["@@two@@"]
                steps-two: ["@@two@@"]
                steps-three: ["@@two@@"]
          - barclamp: steps
            name: first
            deployment:
              elements:
                steps-one: ["@@one@@"]
                steps-two: ["@@one@@"]
        """)

    /// crowbard's services over the store at `folder`: the orchestrator and the batch runner, until `body` returns; then
    /// every task is cancelled at once, as a killed process leaves things (nothing is flushed or finished on the way out).
    /// With `servicesHeldBy`, the orchestrator stages packages (``PackageStager``), taking that file for `policy-rc.d`,
    /// an idle node's stagings behind the steps (their priority files in the test's folder).
    func withCrowbard<T: Sendable>(
        transport: LocalShellTransport, servicesHeldBy: String? = nil,
        _ body: @escaping @Sendable (Control, CrowbarDatabase) async throws -> T
    ) async throws -> T {
        let database = try CrowbarDatabase.open(path: folder.appendingPathComponent("crowbar.sqlite").path)
        let recipes = RecipeBook(root: OrchestratorTests.fixtures.appendingPathComponent("recipes").path)
        let stager = servicesHeldBy.map {
            PackageStager(
                database: database, catalog: catalog, recipes: recipes, transport: transport, admin: RecipeAdmin(),
                behindSteps: (transport, StagingPriority(folder: folder.path)), servicesHeldBy: $0, logger: Logger(label: "test"))
        }
        let orchestrator = Orchestrator(
            executor: RunExecutor(
                database: database, catalog: catalog, recipes: recipes, transport: transport, maxParallelNodes: 4, stager: stager),
            logger: Logger(label: "test"))
        let control = Control(catalog: catalog, database: database, scheduler: orchestrator)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await orchestrator.run(); return nil }
            group.addTask { try await control.batchRunner.run(); return nil }
            group.addTask { try await body(control, database) }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw CancellationError()
        }
    }

    /// Polls the batch (at most 30 s) until `done` says so.
    static func waitFor(_ id: Int64, in control: Control, until done: (Batch) -> Bool) async throws -> Batch {
        for _ in 0..<300 {
            let batch = try await control.batches.batch(id)
            if done(batch) { return batch }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await control.batches.batch(id)
    }

    static func register(_ control: Control) async throws {
        for (index, name) in ["n1", "n2"].enumerated() {
            _ = try await control.nodes.register(DiscoveryReport(macs: ["52:54:00:00:02:0\(index)"], name: name, inventory: Inventory()))
        }
    }

    @Test func aBatchAppliesInRunOrderAndASecondSubmissionChangesNothing() async throws {
        let transport = LocalShellTransport()
        let (first, second) = try await withCrowbard(transport: transport) { control, _ in
            try await Self.register(control)
            let submitted = try await control.batches.submit(BatchSubmission(file: "cloud.yml", content: Self.file))
            #expect(submitted.entries.map { "\($0.barclamp)/\($0.proposal) \($0.outcome.rawValue)" }
                == ["steps/first pending", "steps/second pending"], "run order: barclamp order, then name")
            let first = try await Self.waitFor(submitted.id, in: control) { $0.status.isFinished }
            let again = try await control.batches.submit(BatchSubmission(file: "cloud.yml", content: Self.file))
            return (first, again)
        }
        #expect(first.status == .succeeded)
        #expect(first.entries.map(\.outcome) == [.applied, .applied])
        #expect(transport.finished.map(\.node) == ["n1", "n1", "n2", "n2", "n2"])
        #expect(second.status == .succeeded)
        #expect(second.entries.map(\.outcome) == [.unchanged, .unchanged])
    }

    /// `first` on n1, then `staged` on both nodes: n2 idles through `first`, so its packages may be staged meanwhile.
    static let stagedFile = BatchTests.twoNodes(
        """
          - barclamp: steps
            name: first
            attributes: {pause: "0.2"}
            deployment:
              elements:
                steps-one: ["@@one@@"]
          - barclamp: staged
            deployment:
              elements:
                staged-packages: ["@@one@@", "@@two@@"]
        """)

    /// Holds `steps-one` on n1 until n2's staging has started (at most 10 s), and n2's stagings for `seconds` or, given
    /// `database`, until the batch's second run says it waits for n2's staging (at most 10 s) and 1 s more: the staging
    /// then surely runs while n1 applies, and is still running when the batch reaches n2.
    static func stagingHold(
        seconds: Double = 2, database: @escaping @Sendable () -> CrowbarDatabase? = { nil },
        _ transport: @escaping @Sendable () -> LocalShellTransport?
    ) -> @Sendable (LocalShellTransport.Apply) async -> Void {
        { apply in
            if apply.recipe == PackageStaging.recipeName, apply.node == "n2", let database = database() {
                await untilRun(2, waitsForTheStagingOn: "n2", in: database)
            } else if apply.recipe == PackageStaging.recipeName, apply.node == "n2" {
                try? await Task.sleep(for: .seconds(seconds))
            } else if apply.recipe == "steps/steps-one" {
                for _ in 0..<100 where transport()?.timeline.contains("start \(PackageStaging.recipeName)@n2") != true {
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
    }

    /// Waits (at most 10 s) until run `run`'s log says it waits for `node`'s staging, and 1 s more: a staging held by
    /// this is still under way when that run's step comes to it, however slow the machine.
    static func untilRun(_ run: Int64, waitsForTheStagingOn node: String, in database: CrowbarDatabase) async {
        for _ in 0..<100 {
            let log = (try? await database.runLog(run)) ?? []
            if log.contains(where: { $0.text == "waiting for the packages being staged on \(node)" }) { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        try? await Task.sleep(for: .seconds(1))
    }

    /// On n1: `staged` (its attributes `staged`, a YAML flow map), then `leading` proposals `second` (bash) and `third` (sed).
    static func stagedThenTwoLeading(staged attributes: String) -> String {
        """
        nodes:
          - alias: one
            name: n1
        proposals:
          - barclamp: staged
            attributes: \(attributes)
            deployment:
              elements:
                staged-packages: ["@@one@@"]
          - barclamp: leading
            name: second
            attributes: {packages: bash}
            deployment:
              elements:
                leading-packages: ["@@one@@"]
          - barclamp: leading
            name: third
            attributes: {packages: sed}
            deployment:
              elements:
                leading-packages: ["@@one@@"]
        """
    }

    /// Registers n1 and n2, submits `file` as a batch and answers it once it has finished.
    func applied(_ file: String, transport: LocalShellTransport, servicesHeldBy: String?) async throws -> Batch {
        try await withCrowbard(transport: transport, servicesHeldBy: servicesHeldBy) { control, _ in
            try await Self.register(control)
            let submitted = try await control.batches.submit(BatchSubmission(file: "cloud.yml", content: file))
            return try await Self.waitFor(submitted.id, in: control) { $0.status.isFinished }
        }
    }

    /// A `policy-rc.d` that holds services, in the test's folder: staging may install.
    func heldServices() -> String {
        let held = folder.appendingPathComponent("policy-rc.d").path
        #expect(FileManager.default.createFile(atPath: held, contents: Data("#!/bin/sh\nexit 101\n".utf8), attributes: [.posixPermissions: 0o755]))
        return held
    }

    /// The staging of an idle node starts while another node applies, and the later step there waits for it (the
    /// node's staging is held until that step says it waits, so without the wait the test would stall 10 s and fail).
    @Test(.timeLimit(.minutes(1)))
    func anIdleNodesLaterPackagesAreStagedAndItsStepWaitsForThem() async throws {
        let held = heldServices()
        let shared = Mutex<LocalShellTransport?>(nil)
        let observed = Mutex<CrowbarDatabase?>(nil)
        let transport = LocalShellTransport(hold: Self.stagingHold(database: { observed.withLock { $0 } }) { shared.withLock { $0 } })
        shared.withLock { $0 = transport }
        let (batch, log) = try await withCrowbard(transport: transport, servicesHeldBy: held) { control, database in
            observed.withLock { $0 = database }
            try await Self.register(control)
            let submitted = try await control.batches.submit(BatchSubmission(file: "cloud.yml", content: Self.stagedFile))
            let batch = try await Self.waitFor(submitted.id, in: control) { $0.status.isFinished }
            return (batch, try await database.runLog(try #require(batch.entries[1].run)).map(\.text))
        }
        #expect(batch.status == .succeeded, "\(batch.failure ?? "")")
        let timeline = transport.timeline
        let index = { (event: String) in timeline.firstIndex(of: event) ?? Int.max }
        #expect(index("start crowbar/staging@n2") < index("end steps/steps-one@n1"), "staged while n1 applied: \(timeline)")
        #expect(index("end crowbar/staging@n2") < index("start staged/staged-packages@n2"), "\(timeline)")
        #expect(index("start staged/staged-packages@n1") < index("end crowbar/staging@n2"), "n1 does not wait for n2's staging")
        #expect(index("end steps/steps-one@n1") < index("start crowbar/staging@n1"), "n1 is staged only once its step has ended: \(timeline)")
        #expect(transport.exits[LocalShellTransport.Apply(recipe: PackageStaging.recipeName, node: "n2")] == 0)
        #expect(log.contains("waiting for the packages being staged on n2"), "\(log)")
        // n2's staging ran behind the steps until its step waited: it wrote its session, and the wait raised it by name.
        let session = contents("crowbar-staging.session")?.split(separator: " ").last.map(String.init)
        #expect(session?.hasPrefix("staging-") == true, "\(session ?? "no session")")
        #expect(contents("crowbar-staging.raised") == session, "\(contents("crowbar-staging.raised") ?? "no raise")")
        #expect(contents("crowbar-staging.lowered") == nil, "begun lowered, it needs no lowering")
    }

    /// A step that leaves apt and dpkg alone (`templated`: it only writes a file) runs on n2 beside n2's staging instead
    /// of waiting for it, as dns-client does beside a compute node's staging. n2's staging is held until that step has
    /// ended (at most 30 s), so a step that waited would end after the staging and fail the test.
    @Test(.timeLimit(.minutes(1)))
    func aStepThatLeavesDpkgAloneRunsBesideItsNodesStaging() async throws {
        let held = heldServices()
        let written = folder.appendingPathComponent("resolv.conf").path
        let shared = Mutex<LocalShellTransport?>(nil)
        let transport = LocalShellTransport(hold: { apply in
            if apply.recipe == PackageStaging.recipeName, apply.node == "n2" {
                for _ in 0..<300 where shared.withLock({ $0 })?.timeline.contains("end templated/templated-file@n2") != true {
                    try? await Task.sleep(for: .milliseconds(100))
                }
            } else if apply.recipe == "steps/steps-one" {
                for _ in 0..<300 where shared.withLock({ $0 })?.timeline.contains("start \(PackageStaging.recipeName)@n2") != true {
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        })
        shared.withLock { $0 = transport }
        let file = Self.twoNodes(
            """
              - barclamp: steps
                name: first
                deployment:
                  elements:
                    steps-one: ["@@one@@"]
              - barclamp: templated
                attributes: {path: "\(written)"}
                deployment:
                  elements:
                    templated-file: ["@@two@@"]
              - barclamp: staged
                deployment:
                  elements:
                    staged-packages: ["@@one@@", "@@two@@"]
            """)
        let batch = try await applied(file, transport: transport, servicesHeldBy: held)
        #expect(batch.status == .succeeded, "\(batch.failure ?? "")")
        let timeline = transport.timeline
        let index = { (event: String) in timeline.firstIndex(of: event) ?? Int.max }
        #expect(index("start crowbar/staging@n2") < index("start templated/templated-file@n2"), "\(timeline)")
        #expect(index("end templated/templated-file@n2") < index("end crowbar/staging@n2"), "it did not wait: \(timeline)")
        #expect(index("end crowbar/staging@n2") < index("start staged/staged-packages@n2"), "\(timeline)")
        #expect(FileManager.default.contents(atPath: written) == Data("written on n2\n".utf8))
    }

    /// A staging begun while its node was busy (n2 in `first`) is lowered behind the steps once the batch leaves the node
    /// idle (`second`, on n1 alone). n1's first step is held until n2's staging has started, and n2's staging until the
    /// lowering has come (at most 10 s each), so it starts lowered only if the lowering was sent.
    @Test(.timeLimit(.minutes(1)))
    func aStagingBegunWhileItsNodeWasBusyIsLoweredOnceTheNodeIsIdle() async throws {
        let held = heldServices()
        let lowered = folder.appendingPathComponent("crowbar-staging.lowered").path
        let shared = Mutex<LocalShellTransport?>(nil)
        let transport = LocalShellTransport(hold: { apply in
            if apply.recipe == PackageStaging.recipeName {
                for _ in 0..<100 where !FileManager.default.fileExists(atPath: lowered) { try? await Task.sleep(for: .milliseconds(100)) }
            } else if apply == LocalShellTransport.Apply(recipe: "steps/steps-one", node: "n1") {
                for _ in 0..<100 where shared.withLock({ $0 })?.timeline.contains("start \(PackageStaging.recipeName)@n2") != true {
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        })
        shared.withLock { $0 = transport }
        let file = Self.twoNodes(
            """
              - barclamp: steps
                name: first
                deployment:
                  elements:
                    steps-one: ["@@one@@", "@@two@@"]
              - barclamp: steps
                name: second
                attributes: {pause: "0.5"}
                deployment:
                  elements:
                    steps-one: ["@@one@@"]
              - barclamp: staged
                deployment:
                  elements:
                    staged-packages: ["@@two@@"]
            """)
        let batch = try await applied(file, transport: transport, servicesHeldBy: held)
        #expect(batch.status == .succeeded, "\(batch.failure ?? "")")
        let timeline = transport.timeline
        #expect((timeline.firstIndex(of: "start crowbar/staging@n2") ?? Int.max) < (timeline.firstIndex(of: "end steps/steps-one@n1") ?? -1),
            "n2's staging began in `first`, n2 busy: \(timeline)")
        let session = contents("crowbar-staging.session")?.split(separator: " ").last.map(String.init)
        #expect(session?.hasPrefix("staging-") == true, "\(session ?? "no session")")
        #expect(contents("crowbar-staging.lowered") == session, "\(contents("crowbar-staging.lowered") ?? "no lowering")")
    }

    /// A file of the test's folder, without its last line break.
    func contents(_ name: String) -> String? {
        FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .newlines) }
    }

    /// A node the current proposal applies to is staged once its step has installed its packages, beside the rest of
    /// that step: the staging finds the step past its packages (the handshake file it writes between them), the step
    /// waits after its last package until the staging has started, and the next step waits for the staging (held until
    /// that step says it waits, at most 10 s: without the wait the test stalls and fails).
    @Test(.timeLimit(.minutes(1)))
    func aBusyNodeIsStagedOnceItsStepHasInstalledItsPackages() async throws {
        let held = heldServices()
        let handshake = folder.appendingPathComponent("handshake").path
        try FileManager.default.createDirectory(atPath: handshake, withIntermediateDirectories: true)
        let foundInstalled = Mutex<Bool?>(nil)
        let observed = Mutex<CrowbarDatabase?>(nil)
        let transport = LocalShellTransport(hold: { apply in
            guard apply.recipe == PackageStaging.recipeName else { return }
            foundInstalled.withLock { $0 = FileManager.default.fileExists(atPath: handshake + "/installed") }
            _ = FileManager.default.createFile(atPath: handshake + "/staged", contents: nil)
            if let database = observed.withLock({ $0 }) { await Self.untilRun(2, waitsForTheStagingOn: "n1", in: database) }
        })
        let file = """
            nodes:
              - alias: one
                name: n1
            proposals:
              - barclamp: staged
                name: first
                attributes: {handshake: "\(handshake)"}
                deployment:
                  elements:
                    staged-packages: ["@@one@@"]
              - barclamp: staged
                name: second
                attributes: {packages: sed}
                deployment:
                  elements:
                    staged-packages: ["@@one@@"]
            """
        let (batch, log) = try await withCrowbard(transport: transport, servicesHeldBy: held) { control, database in
            observed.withLock { $0 = database }
            try await Self.register(control)
            let submitted = try await control.batches.submit(BatchSubmission(file: "cloud.yml", content: file))
            let batch = try await Self.waitFor(submitted.id, in: control) { $0.status.isFinished }
            return (batch, try await database.runLog(try #require(batch.entries[1].run)).map(\.text))
        }
        #expect(batch.status == .succeeded, "\(batch.failure ?? "")")
        let timeline = transport.timeline
        let starts = timeline.indices.filter { timeline[$0] == "start staged/staged-packages@n1" }
        let staging = (timeline.firstIndex(of: "start crowbar/staging@n1") ?? Int.max, timeline.firstIndex(of: "end crowbar/staging@n1") ?? Int.max)
        #expect(starts.count == 2, "\(timeline)")
        #expect(starts.first ?? Int.max < staging.0 && staging.0 < timeline.firstIndex(of: "end staged/staged-packages@n1") ?? -1,
            "staged while its step ran: \(timeline)")
        #expect(staging.1 < starts.last ?? -1, "the next step waited: \(timeline)")
        #expect(foundInstalled.withLock { $0 } == true, "the staging started after the step's first packages")
        #expect(transport.exits[LocalShellTransport.Apply(recipe: PackageStaging.recipeName, node: "n1")] == 0)
        #expect(log.contains("waiting for the packages being staged on n1"), "\(log)")
    }

    /// Once a busy node stages, it stages one proposal per transaction in plan order, and a step whose packages are all
    /// staged starts beside the next transaction: the second proposal's step runs while the third's packages install
    /// (the first staging held 2 s, the second until the third's step waits for it), and the third's step waits for them.
    @Test(.timeLimit(.minutes(1)))
    func aStepWhosePackagesAreStagedRunsBesideTheNextStaging() async throws {
        let held = heldServices()
        let handshake = folder.appendingPathComponent("handshake").path
        try FileManager.default.createDirectory(atPath: handshake, withIntermediateDirectories: true)
        let stagingsSeen = Mutex(0)
        let observed = Mutex<CrowbarDatabase?>(nil)
        let transport = LocalShellTransport(hold: { apply in
            guard apply.recipe == PackageStaging.recipeName else { return }
            _ = FileManager.default.createFile(atPath: handshake + "/staged", contents: nil)
            guard stagingsSeen.withLock({ $0 += 1; return $0 }) > 1 else {
                try? await Task.sleep(for: .seconds(2))
                return
            }
            // The second (the third proposal's packages) lasts until the third proposal's step waits for it, so past the
            // second proposal's run: a second step that waited for it instead would start only after it, and fail the test.
            if let database = observed.withLock({ $0 }) { await Self.untilRun(3, waitsForTheStagingOn: "n1", in: database) }
        })
        let file = Self.stagedThenTwoLeading(staged: "{handshake: \"\(handshake)\"}")
        let (batch, logs) = try await withCrowbard(transport: transport, servicesHeldBy: held) { control, database in
            observed.withLock { $0 = database }
            try await Self.register(control)
            let submitted = try await control.batches.submit(BatchSubmission(file: "cloud.yml", content: file))
            let batch = try await Self.waitFor(submitted.id, in: control) { $0.status.isFinished }
            var logs: [[String]] = []
            for entry in batch.entries { logs.append(try await database.runLog(try #require(entry.run)).map(\.text)) }
            return (batch, logs)
        }
        #expect(batch.status == .succeeded, "\(batch.failure ?? "")")
        let timeline = transport.timeline
        let steps = timeline.indices.filter { timeline[$0] == "start leading/leading-packages@n1" }
        let stagings = timeline.indices.filter { timeline[$0] == "start crowbar/staging@n1" }
        let stagingEnds = timeline.indices.filter { timeline[$0] == "end crowbar/staging@n1" }
        #expect(steps.count == 2 && stagings.count == 2 && stagingEnds.count == 2, "\(timeline)")
        guard steps.count == 2, stagings.count == 2, stagingEnds.count == 2 else { return }
        #expect(stagingEnds[0] < steps[0] && steps[0] < stagingEnds[1], "the second step ran beside the third's staging: \(timeline)")
        #expect(stagingEnds[1] < steps[1], "the third step waited for its packages: \(timeline)")
        #expect(logs[2].contains("waiting for the packages being staged on n1"), "\(logs[2])")
    }

    /// A busy node whose last step of the run installs nothing is staged once that step has ended, before the next
    /// proposal's step there, which waits for its packages (the steps pause 0.3 s, so the staging is planned by then).
    @Test(.timeLimit(.minutes(1)))
    func aBusyNodeWhoseLastStepInstallsNothingIsStagedOnceItEnds() async throws {
        let held = heldServices()
        let transport = LocalShellTransport()
        let file = """
            nodes:
              - alias: one
                name: n1
            proposals:
              - barclamp: steps
                name: first
                attributes: {pause: "0.3"}
                deployment:
                  elements:
                    steps-one: ["@@one@@"]
                    steps-two: ["@@one@@"]
              - barclamp: leading
                name: second
                attributes: {packages: sed}
                deployment:
                  elements:
                    leading-packages: ["@@one@@"]
            """
        let batch = try await applied(file, transport: transport, servicesHeldBy: held)
        #expect(batch.status == .succeeded, "\(batch.failure ?? "")")
        let timeline = transport.timeline
        let index = { (event: String) in timeline.firstIndex(of: event) ?? Int.max }
        #expect(index("end steps/steps-two@n1") < index("start crowbar/staging@n1"), "\(timeline)")
        #expect(index("end crowbar/staging@n1") < index("start leading/leading-packages@n1"), "\(timeline)")
    }

    /// A batch that fails stages nothing more: the first step fails once its packages are in and the second proposal's
    /// staging (held until the batch has failed) has started; when that staging ends, the third proposal's packages are
    /// not staged.
    @Test(.timeLimit(.minutes(1)))
    func aFailedBatchStagesNothingMore() async throws {
        let held = heldServices()
        let handshake = folder.appendingPathComponent("handshake").path
        try FileManager.default.createDirectory(atPath: handshake, withIntermediateDirectories: true)
        let batchFinished = Mutex(false)
        let transport = LocalShellTransport(hold: { apply in
            guard apply.recipe == PackageStaging.recipeName else { return }
            _ = FileManager.default.createFile(atPath: handshake + "/staged", contents: nil)
            // Under way until the batch has failed (at most 20 s), however long the machine takes to get there, and 1 s
            // more: the batch's end reaches the stager just after the test can read it.
            for _ in 0..<200 where !batchFinished.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(100)) }
            try? await Task.sleep(for: .seconds(1))
        })
        let file = Self.stagedThenTwoLeading(staged: "{handshake: \"\(handshake)\", then: \"false\"}")
        let batch = try await withCrowbard(transport: transport, servicesHeldBy: held) { control, _ in
            try await Self.register(control)
            let submitted = try await control.batches.submit(BatchSubmission(file: "cloud.yml", content: file))
            let batch = try await Self.waitFor(submitted.id, in: control) { $0.status.isFinished }
            batchFinished.withLock { $0 = true }
            // The staging under way ends on its own; once it has, a second would start at once if any were due.
            for _ in 0..<100 where !transport.timeline.contains("end \(PackageStaging.recipeName)@n1") {
                try await Task.sleep(for: .milliseconds(100))
            }
            try await Task.sleep(for: .seconds(1))
            return batch
        }
        #expect(batch.status == .failed, "\(batch.entries.map(\.outcome))")
        let timeline = transport.timeline
        #expect(timeline.contains("end \(PackageStaging.recipeName)@n1"), "the second proposal's packages were staged: \(timeline)")
        #expect(timeline.filter { $0 == "start \(PackageStaging.recipeName)@n1" }.count == 1, "nothing staged past the failure: \(timeline)")
        #expect(!timeline.contains("start leading/leading-packages@n1"), "\(timeline)")
    }

    /// Without `policy-rc.d` on the node, staging installs nothing (a package's services would start unconfigured), and
    /// the batch applies as it would without it.
    @Test(.timeLimit(.minutes(1)))
    func withoutHeldServicesNothingIsStagedAndTheBatchStillApplies() async throws {
        let shared = Mutex<LocalShellTransport?>(nil)
        let transport = LocalShellTransport(hold: Self.stagingHold { shared.withLock { $0 } })
        shared.withLock { $0 = transport }
        let absent = folder.appendingPathComponent("absent").path
        let batch = try await applied(Self.stagedFile, transport: transport, servicesHeldBy: absent)
        #expect(batch.status == .succeeded, "\(batch.failure ?? "")")
        #expect(transport.exits[LocalShellTransport.Apply(recipe: PackageStaging.recipeName, node: "n2")] == 1, "refused: \(transport.timeline)")
    }

    /// A node whose staging fails (refused here: no `policy-rc.d`) stages nothing more in the batch: the third proposal's
    /// packages are not tried after the second's failed, and the steps install their own.
    @Test(.timeLimit(.minutes(1)))
    func aNodeWhoseStagingFailedStagesNothingMore() async throws {
        let transport = LocalShellTransport()
        let file = Self.stagedThenTwoLeading(staged: "{}")
        let absent = folder.appendingPathComponent("absent").path
        let batch = try await applied(file, transport: transport, servicesHeldBy: absent)
        #expect(batch.status == .succeeded, "\(batch.failure ?? "")")
        let timeline = transport.timeline
        #expect(timeline.filter { $0 == "start \(PackageStaging.recipeName)@n1" }.count == 1, "one refused staging, then none: \(timeline)")
        #expect(transport.exits[LocalShellTransport.Apply(recipe: PackageStaging.recipeName, node: "n1")] == 1, "refused: \(timeline)")
    }

    /// A busy node whose staging found its packages installed already (a re-apply; every package here is on this
    /// machine) checks the rest of the batch's packages in one staging, not one per proposal: two stagings for the
    /// three later proposals.
    @Test(.timeLimit(.minutes(1)))
    func aStagingThatInstalledNothingChecksTheRestInOneGo() async throws {
        let held = heldServices()
        let transport = LocalShellTransport()
        let later = ["second": "bash", "third": "sed", "fourth": "grep"].sorted { $0.value < $1.value }.map { name, package in
            """
              - barclamp: leading
                name: \(name)
                attributes: {packages: \(package)}
                deployment:
                  elements:
                    leading-packages: ["@@one@@"]
            """
        }
        let file = """
            nodes:
              - alias: one
                name: n1
            proposals:
              - barclamp: staged
                deployment:
                  elements:
                    staged-packages: ["@@one@@"]

            """ + later.joined(separator: "\n")
        let batch = try await applied(file, transport: transport, servicesHeldBy: held)
        #expect(batch.status == .succeeded, "\(batch.failure ?? "")")
        #expect(batch.entries.count == 4)
        let timeline = transport.timeline
        #expect(timeline.filter { $0 == "start \(PackageStaging.recipeName)@n1" }.count == 2, "\(timeline)")
    }

    @Test func aPreviewSaysWhatEachProposalWouldBecomeAndWritesNothing() async throws {
        let transport = LocalShellTransport()
        let (fresh, written, applied, edited, forced) = try await withCrowbard(transport: transport) { control, database in
            try await Self.register(control)
            let fresh = try await control.batches.preview(BatchSubmission(file: "cloud.yml", content: Self.file))
            let written = try await database.proposals().count
            let submitted = try await control.batches.submit(BatchSubmission(file: "cloud.yml", content: Self.file))
            _ = try await Self.waitFor(submitted.id, in: control) { $0.status.isFinished }
            let applied = try await control.batches.preview(BatchSubmission(file: "cloud.yml", content: Self.file))
            let slower = Self.file.replacingOccurrences(of: #"pause: "0.3""#, with: #"pause: "0.5""#)
            let edited = try await control.batches.preview(BatchSubmission(file: "cloud.yml", content: slower))
            let forced = try await control.batches.preview(BatchSubmission(file: "cloud.yml", content: Self.file, force: true))
            return (fresh, written, applied, edited, forced)
        }
        #expect(fresh.entries.map { "\($0.position) \($0.barclamp)/\($0.proposal) \($0.action.rawValue)" }
            == ["1 steps/first create", "2 steps/second create"])
        #expect(fresh.entries[0].changes.map(\.description).contains("~ deployment.steps-one:  → n1"))
        #expect(fresh.entries[1].changes.map(\.description).contains("~ attributes.pause: 0 → 0.3"))
        #expect(written == 0, "a preview writes nothing")
        #expect(applied.entries.map(\.action) == [.unchanged, .unchanged])
        #expect(applied.entries.flatMap(\.changes).isEmpty)
        #expect(edited.entries.map(\.action) == [.unchanged, .change])
        #expect(edited.entries[1].changes.map(\.description) == ["~ attributes.pause: 0.3 → 0.5"])
        #expect(forced.entries.map(\.action) == [.apply, .apply])
    }

    @Test func aMalformedFileOrAnUnknownAliasIsRefusedWithItsLineAndChangesNothing() async throws {
        let database = try CrowbarDatabase.open(path: folder.appendingPathComponent("crowbar.sqlite").path)
        final class Recorder: RunScheduler {
            func schedule(runID: Int64) {}
            func cancel(runID: Int64) async throws -> Bool { false }
        }
        let control = Control(catalog: catalog, database: database, scheduler: Recorder())
        let unknown = await #expect(throws: DefinitionError.self) {
            try await control.batches.submit(BatchSubmission(file: "cloud.yml", content: Self.file))
        }
        #expect(unknown?.description == "cloud.yml:2:5: nodes: no node matches alias 'one'")
        let malformed = await #expect(throws: DefinitionError.self) {
            try await control.batches.submit(BatchSubmission(file: "bad.yml", content: "proposals:\n  - barclamp: steps\n    colour: red\n"))
        }
        #expect(malformed?.description.hasPrefix("bad.yml:3:5: ") == true)
        // The second entry's attribute is refused before the first entry is created: nothing is written.
        try await Self.register(control)
        let refused = await #expect(throws: DefinitionError.self) {
            try await control.batches.submit(BatchSubmission(
                file: "cloud.yml", content: Self.file.replacingOccurrences(of: "{pause: \"0.3\"}", with: "{pause: 3, colour: red}")))
        }
        #expect(refused?.description.hasPrefix("cloud.yml:7:5: proposals: steps/second: ") == true, "\(String(describing: refused))")
        #expect(try await database.proposals().isEmpty)
        #expect(try await database.batches().isEmpty)
    }

    @Test(.timeLimit(.minutes(1)))
    func aBatchDoesNotApplyARevisionCommittedAfterIt() async throws {
        let firstRunning = AsyncStream.makeStream(of: Void.self)
        let transport = LocalShellTransport { apply in
            if apply.node == "n1" && apply.recipe == "steps/steps-one" { firstRunning.continuation.yield() }
        }
        let batch = try await withCrowbard(transport: transport) { control, _ in
            try await Self.register(control)
            let submitted = try await control.batches.submit(BatchSubmission(
                file: "cloud.yml", content: Self.file.replacingOccurrences(of: "name: first\n", with: "name: first\n    attributes: {pause: \"0.5\"}\n")))
            var waiter = firstRunning.stream.makeAsyncIterator()
            _ = await waiter.next()
            // An operator commits the second proposal again while the batch applies the first.
            _ = try await control.proposals.edit(barclamp: "steps", proposal: "second", edits: [AttributeEdit(path: "pause", text: "0")])
            _ = try await control.proposals.commit(barclamp: "steps", proposal: "second", apply: false)
            return try await Self.waitFor(submitted.id, in: control) { $0.status.isFinished }
        }
        #expect(batch.status == .failed)
        #expect(batch.entries.map(\.outcome) == [.applied, .failed])
        #expect(batch.failure?.contains("revision 2 was committed after the batch committed revision 1") == true, "\(batch.failure ?? "")")
        #expect(!transport.started.contains { $0.node == "n2" }, "the newer revision is not the batch's to apply")
    }

    @Test(.timeLimit(.minutes(2)))
    func aGracefulShutdownMidBatchStopsAtOnceAndTheBatchResumes() async throws {
        let database = try CrowbarDatabase.open(path: folder.appendingPathComponent("crowbar.sqlite").path)
        let recipes = RecipeBook(root: OrchestratorTests.fixtures.appendingPathComponent("recipes").path)
        let inSecond = AsyncStream.makeStream(of: Void.self)
        let transport = LocalShellTransport { apply in if apply.node == "n2" { inSecond.continuation.yield() } }
        let orchestrator = Orchestrator(
            executor: RunExecutor(database: database, catalog: catalog, recipes: recipes, transport: transport, maxParallelNodes: 4),
            logger: Logger(label: "test"))
        let control = Control(catalog: catalog, database: database, scheduler: orchestrator)
        let group = ServiceGroup(configuration: .init(services: [orchestrator, control.batchRunner], logger: Logger(label: "test")))
        try await Self.register(control)
        // The second proposal's steps sleep 6 s each: a shutdown that waited for its run would take at least 6 s more.
        let slow = Self.file.replacingOccurrences(of: "{pause: \"0.3\"}", with: "{pause: \"6\"}")
        let id = try await control.batches.submit(BatchSubmission(file: "cloud.yml", content: slow)).id
        var started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var waiter = inSecond.stream.makeAsyncIterator()
            _ = await waiter.next()
            started = ContinuousClock.now
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(ContinuousClock.now - started < .seconds(5), "shutdown does not wait for the rest of the batch (room for a loaded CI machine)")
        #expect(try await database.batch(id: id).status == .running, "left to resume")
        let after = LocalShellTransport()
        let resumed = try await withCrowbard(transport: after) { control, _ in
            try await Self.waitFor(id, in: control) { $0.status.isFinished }
        }
        #expect(resumed.status == .succeeded)
        #expect(!after.started.contains { $0.node == "n1" })
    }

    @Test(.timeLimit(.minutes(1)))
    func aCrowbardStoppedMidBatchResumesWithoutReapplyingFinishedProposals() async throws {
        let stoppedInSecond = AsyncStream.makeStream(of: Void.self)
        // The second proposal's second step is held until crowbard stops (its 0.3 s pause could end first on a loaded
        // machine, and a node that finished a step is rightly not redone).
        let before = LocalShellTransport(hold: { apply in
            guard apply.node == "n2" && apply.recipe == "steps/steps-two" else { return }
            stoppedInSecond.continuation.yield()
            try? await Task.sleep(for: .seconds(30))
        })
        let id = try await withCrowbard(transport: before) { control, _ in
            try await Self.register(control)
            let batch = try await control.batches.submit(BatchSubmission(file: "cloud.yml", content: Self.file))
            var waiter = stoppedInSecond.stream.makeAsyncIterator()
            _ = await waiter.next()
            return batch.id
        }
        let after = LocalShellTransport()
        let (resumed, runs) = try await withCrowbard(transport: after) { control, database in
            let batch = try await Self.waitFor(id, in: control) { $0.status.isFinished }
            return (batch, try await database.runs())
        }
        #expect(resumed.status == .succeeded)
        #expect(resumed.entries.map(\.outcome) == [.applied, .applied])
        #expect(runs.count == 2, "the second proposal's run was resumed, not queued again")
        #expect(!after.started.contains { $0.node == "n1" }, "the finished proposal was not applied again")
        #expect(!after.started.contains { $0.recipe == "steps/steps-one" }, "the second proposal's finished step was not redone")
        #expect(after.finished.map(\.recipe) == ["steps/steps-two", "steps/steps-three"])
    }
}

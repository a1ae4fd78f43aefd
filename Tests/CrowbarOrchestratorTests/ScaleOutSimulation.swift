import CrowbarControl
import CrowbarCore
import CrowbarSSH
import CrowbarStore
import Foundation
import Metrics
import Prometheus
import Synchronization
import Testing

@testable import CrowbarOrchestrator

/// docs/scale-out.md's simulation, run by `Benchmarks/scale-out/run.sh` (off in the test suite: it takes minutes): the
/// real orchestrator and store (a SQLite file, synced commits) apply the three-step `steps` fixture to
/// CROWBAR_SIMULATION_NODES nodes (10,000) through ``SimulatedNodes``, which answers every compiled recipe as an
/// unchanged no-op after CROWBAR_SIMULATION_LATENCY_MS (100 ms, a no-op's SSH round trip) — at each parallelism in
/// CROWBAR_SIMULATION_PARALLEL ("32 256 1024"). Prints a row per parallelism: wall time per step, the ideal it is
/// compared with, sessions at once, node results, log lines and the journal's commits, resident memory.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CROWBAR_SCALE_SIMULATION"] == "1", "Benchmarks/scale-out/run.sh runs it"))
struct ScaleOutSimulation {
    static let environment = ProcessInfo.processInfo.environment
    static let nodeCount = Int(environment["CROWBAR_SIMULATION_NODES"] ?? "") ?? 10_000
    static let latency = Duration.milliseconds(Int(environment["CROWBAR_SIMULATION_LATENCY_MS"] ?? "") ?? 100)
    static let parallelisms = (environment["CROWBAR_SIMULATION_PARALLEL"] ?? "32 256 1024").split(separator: " ").compactMap { Int($0) }

    /// The process's metrics, in Prometheus' registry (the simulation runs alone in its process).
    static let metrics: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// `crowbar_run_journal_commits_total` so far.
    static func journalCommits() -> Int {
        let line = metrics.emitToString().split(separator: "\n").first { $0.hasPrefix("crowbar_run_journal_commits_total ") }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test func theOrchestratorAppliesToTenThousandSimulatedNodes() async throws {
        _ = Self.metrics
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-simulation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fixtures = OrchestratorTests.fixtures
        let catalog = try BarclampDirectory.load(fixtures.appendingPathComponent("barclamps").path)
        let recipes = RecipeBook(root: fixtures.appendingPathComponent("recipes").path)
        let database = try CrowbarDatabase.open(path: folder.appendingPathComponent("crowbar.sqlite").path)
        let control = Control(catalog: catalog, database: database, scheduler: OrchestratorTests.NoScheduler())
        let registering = ContinuousClock.now
        var names: [String] = []
        for index in 0..<Self.nodeCount {
            let mac = String(format: "52:54:%02x:%02x:%02x:%02x", index >> 24 & 255, index >> 16 & 255, index >> 8 & 255, index & 255)
            names.append(try await control.nodes.register(DiscoveryReport(macs: [mac], inventory: Inventory())).node.name)
        }
        print("simulation: \(Self.nodeCount) nodes registered in \(ContinuousClock.now - registering); latency \(Self.latency) per apply")
        _ = try await control.proposals.create(barclamp: "steps", proposal: "default")
        for role in ["steps-one", "steps-two", "steps-three"] {
            _ = try await control.proposals.assign(barclamp: "steps", proposal: "default", role: role, nodes: names)
        }
        print("| sessions at once | wall time | per step | ideal per step | most at once | node results | log lines | journal commits | resident memory |")
        print("|---|---|---|---|---|---|---|---|---|")
        for parallel in Self.parallelisms {
            let run = try #require(try await control.proposals.commit(barclamp: "steps", proposal: "default", apply: true).run)
            let nodes = SimulatedNodes(latency: Self.latency)
            let executor = RunExecutor(
                database: database, catalog: catalog, recipes: recipes, transport: nodes, maxParallelNodes: parallel)
            let commitsBefore = Self.journalCommits()
            let started = ContinuousClock.now
            guard case .finished(let finished) = try await executor.execute(run, cancelRequested: { false }) else {
                Issue.record("the run was interrupted")
                return
            }
            let wall = ContinuousClock.now - started
            #expect(finished.status == .succeeded)
            let results = finished.steps.map(\.results.count).reduce(0, +)
            #expect(results == 3 * Self.nodeCount, "every node once per step")
            #expect(nodes.mostAtOnce <= parallel)
            let log = try await database.runLog(run.id, limit: Int.max)
            let commits = Self.journalCommits() - commitsBefore
            let ideal = Self.latency * Int((Double(Self.nodeCount) / Double(parallel)).rounded(.up))
            let seconds = { (duration: Duration) in String(format: "%.2f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18) }
            print("| \(parallel) | \(seconds(wall)) | \(seconds(wall / 3)) | \(seconds(ideal)) | \(nodes.mostAtOnce) | \(results) | \(log.count) | \(commits) | \(Self.residentMegabytes()) MB |")
        }
    }

    /// VmRSS of this process, in MB.
    static func residentMegabytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }
}

/// Nodes that answer every compiled recipe, after `latency`, as a run that changed nothing: each resource `ok`, then
/// `done`, in the recipe's own markers. Counts the applies running at once.
final class SimulatedNodes: NodeTransport {
    let latency: Duration
    private let counts = Mutex((running: 0, most: 0))

    init(latency: Duration) { self.latency = latency }

    var mostAtOnce: Int { counts.withLock { $0.most } }

    func execute(
        _ command: String, stdin: [UInt8], timeout: Duration, on node: Node, output: @escaping @Sendable (SSHOutput) -> Void
    ) async throws -> SSHExit {
        counts.withLock {
            $0.running += 1
            $0.most = max($0.most, $0.running)
        }
        defer { counts.withLock { $0.running -= 1 } }
        let script = String(decoding: stdin, as: UTF8.self)
        // `crowbar_mark() { printf '\036MARKER %s\n' "$*"; }` names the marker; `crowbar_step N name` each resource.
        guard let definition = script.range(of: #"printf '\036"#), let end = script[definition.upperBound...].firstIndex(of: " ") else {
            return SSHExit(status: 2)
        }
        let marker = "\u{1E}" + script[definition.upperBound..<end]
        let steps = script.split(separator: "\n").filter { $0.hasPrefix("crowbar_step ") }.compactMap { $0.split(separator: " ").dropFirst().first }
        try await Task.sleep(for: latency)
        var text = ""
        for index in steps { text += "\(marker) begin \(index)\n\(marker) end \(index) ok\n" }
        text += "\(marker) done\n"
        output(SSHOutput(stream: .stdout, bytes: Array(text.utf8)))
        return SSHExit(status: 0)
    }

    func drop(_ node: String) async {}

    func runEnded() async {}
}

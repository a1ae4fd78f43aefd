import Benchmark
import CrowbarControl
import CrowbarCore
import CrowbarStore
import Foundation

/// The shipped barclamps, read from the repository.
private func shippedCatalog() throws -> BarclampCatalog {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    return try BarclampDirectory.load(root.appendingPathComponent("barclamps").path)
}

/// A 10,000-node cloud: one controller for every single-node role, every node on the
/// per-node roles, and all but the controller as QEMU computes.
private func tenThousandNodeCloud(_ catalog: BarclampCatalog) -> [PlannedProposal] {
    let nodes = (0..<10_000).map { String(format: "n%05d", $0) }
    let everyNode: Set = ["provisioner-base", "network", "ntp-client", "dns-client"]
    return catalog.runOrder.map { barclamp in
        var deployment: [String: [String]] = [:]
        for role in barclamp.roles {
            if everyNode.contains(role.name) {
                deployment[role.name] = nodes
            } else if role.name == "nova-compute-qemu" {
                deployment[role.name] = Array(nodes.dropFirst())
            } else if role.name != "nova-compute-kvm" {
                deployment[role.name] = [nodes[0]]
            }
        }
        return PlannedProposal(barclamp: barclamp.name, name: "default", deployment: deployment)
    }
}

let benchmarks: @Sendable () -> Void = {
    // Tolerances for Benchmarks/thresholds.sh against the checked-in Thresholds/ (p90 values): this shared 2-core
    // machine's wall clock wanders by a third between runs, so p90 may be 50 % slower (a doubling fails);
    // allocation counts are steady, 5 %.
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(5), maxIterations: 200,
        thresholds: [
            .wallClock: BenchmarkThresholds(relative: [.p90: 50.0]),
            .mallocCountTotal: BenchmarkThresholds(relative: [.p90: 5.0]),
        ])

    // Names without spaces or slashes: the benchmark tool writes threshold files under a cleaned name but reads them
    // back under the raw one.
    Benchmark("Plan-10000-nodes-14-barclamps") { benchmark in
        let catalog = try shippedCatalog()
        let proposals = tenThousandNodeCloud(catalog)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try Planner.plan(proposals, catalog: catalog))
        }
    }

    Benchmark("GET-nodes-work-10000-nodes-from-SQLite-as-JSON") { benchmark in
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crowbar-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try CrowbarDatabase.open(path: folder.appendingPathComponent("crowbar.sqlite").path)
        for index in 0..<10_000 {
            let mac = String(format: "52:54:00:%02x:%02x:%02x", index >> 16 & 0xff, index >> 8 & 0xff, index & 0xff)
            _ = try await database.register(DiscoveryReport(
                macs: [mac],
                inventory: Inventory(cpuModel: "QEMU", cpuCount: 4, memoryMB: 8192, disks: [.init(name: "vda", sizeBytes: 1 << 34)])))
        }
        let encoder = JSONEncoder.crowbar
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try encoder.encode(try await database.nodes()))
        }
    }

    Benchmark("Proposal-commits-100-per-iteration", configuration: .init(scalingFactor: .one)) { benchmark in
        let catalog = try shippedCatalog()
        let control = Control(catalog: catalog, database: try CrowbarDatabase.inMemory())
        let node = try await control.nodes.register(DiscoveryReport(macs: ["52:54:00:00:00:01"], inventory: Inventory())).node.name
        _ = try await control.proposals.create(barclamp: "provisioner", proposal: "default")
        _ = try await control.proposals.assign(barclamp: "provisioner", proposal: "default", role: "provisioner-server", nodes: [node])
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for _ in 0..<100 { blackHole(try await control.proposals.commit(barclamp: "provisioner", proposal: "default", apply: false)) }
        }
    }
}

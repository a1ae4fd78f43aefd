import CrowbarControl
import Prometheus
import Synchronization

/// `GET /metrics` in Prometheus' text format, behind the token like the API (Prometheus sends it from
/// `authorization.credentials_file`). It holds what crowbard's parts record through swift-metrics into `registry`
/// (API requests by route, method and status; run and node apply durations; SSH connections) and, counted when
/// scraped, what lives in the store: nodes by state, runs by status, DHCP addresses per range, boot service counters.
public final class MetricsEndpoint: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The boot counters at the last scrape: each scrape adds what they grew by since.
    private let lastBootCounters = Mutex<[String: Int]>([:])

    public init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    /// The metrics now, as Prometheus' text format.
    func render(_ metrics: MetricsService) async throws -> String {
        let snapshot = try await metrics.snapshot()
        for (state, count) in snapshot.nodes {
            registry.makeGauge(name: "crowbar_nodes", labels: [("state", state)], help: "Nodes in each state").set(Int64(count))
        }
        for (status, count) in snapshot.runs {
            registry.makeGauge(name: "crowbar_runs", labels: [("status", status)], help: "Runs in the store by status").set(Int64(count))
        }
        for range in snapshot.ranges {
            let help = "Addresses of each network's DHCP range, leased or free"
            registry.makeGauge(name: "crowbar_dhcp_addresses", labels: [("network", range.network), ("use", "leased")], help: help)
                .set(Int64(range.inUse))
            registry.makeGauge(name: "crowbar_dhcp_addresses", labels: [("network", range.network), ("use", "free")], help: help)
                .set(Int64(range.size - range.inUse))
        }
        let grown = lastBootCounters.withLock { last in
            defer { last = snapshot.boot }
            return snapshot.boot.compactMap { name, value in value > last[name, default: 0] ? (name, value - last[name, default: 0]) : nil }
        }
        for (name, amount) in grown {
            registry.makeCounter(
                name: "crowbar_boot_events_total", labels: [("event", name)],
                help: "DHCP and TFTP packets and transfers by what happened (BootCounters)"
            ).increment(by: Int64(amount))
        }
        return registry.emitToString()
    }
}

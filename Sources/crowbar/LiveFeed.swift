import CrowbarClient
import CrowbarCore
import CrowbarTUI
import Foundation

/// What `crowbar tui` shows, kept current: the nodes, their roles and the running runs, loaded once, then updated from
/// crowbard's event stream (a node event re-reads that node; a proposal or run event re-reads roles and runs). When
/// crowbard goes away it says so and reconnects every `retry`.
struct LiveFeed: Sendable {
    let client: CrowbarClient
    let post: @Sendable (TUIMessage) -> Void
    var retry: Duration = .seconds(2)

    func run() async {
        while !Task.isCancelled {
            do {
                let start = try await client.latestEventID()
                post(.nodes(try await client.nodes()))
                try await loadRolesAndRuns()
                post(.connected)
                try await client.followEvents(after: start) { event in try await take(event) }
                post(.disconnected("crowbard ended the event stream"))
            } catch is CancellationError {
                return
            } catch {
                post(.disconnected(Self.reason(error)))
            }
            try? await Task.sleep(for: retry)
        }
    }

    private func take(_ event: Event) async throws {
        switch event.kind {
        case .nodeDeleted:
            post(.nodeDeleted(event.subject))
        case _ where event.kind.rawValue.hasPrefix("node.") || event.kind == .addressAllocated:
            if let node = try? await client.node(named: event.subject) { post(.node(node)) }
        case _ where event.kind.rawValue.hasPrefix("proposal.") || event.kind.rawValue.hasPrefix("run."):
            try await loadRolesAndRuns()
        default:
            break
        }
    }

    /// The roles of the active proposals by node, and how many runs are under way.
    private func loadRolesAndRuns() async throws {
        var roles: [String: [String]] = [:]
        for proposal in try await client.proposals() where proposal.status.isActive {
            for (role, nodes) in proposal.content.deployment.sorted(by: { $0.key < $1.key }) {
                for node in nodes { roles[node, default: []].append(role) }
            }
        }
        post(.roles(roles))
        post(.runningRuns(try await client.runs(limit: 50).filter { !$0.status.isFinished }.count))
    }

    /// A short reason for the status bar.
    static func reason(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("unreachable") || text.contains("refused") { return "crowbard unreachable" }
        return String(text.prefix(60))
    }
}

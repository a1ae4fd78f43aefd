import CrowbarClient
import CrowbarCore
import CrowbarTUI
import Foundation

/// What `crowbar tui` shows, kept current: nodes, proposals, barclamps and recent runs, loaded once, then updated from
/// crowbard's event stream (a node event re-reads that node; a proposal event the proposals; a run event the runs and
/// proposals). When crowbard goes away it says so and reconnects every `retry`.
struct LiveFeed: Sendable {
    let client: CrowbarClient
    let post: @Sendable (TUIMessage) -> Void
    var retry: Duration = .seconds(2)
    /// How many recent runs the runs screen lists.
    static let recentRuns = 50

    func run() async {
        while !Task.isCancelled {
            do {
                let start = try await client.latestEventID()
                post(.nodes(try await client.nodes()))
                post(.barclamps(try await client.barclamps()))
                try await loadProposals()
                try await loadRuns()
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
        case _ where event.kind.rawValue.hasPrefix("proposal."):
            try await loadProposals()
        case _ where event.kind.rawValue.hasPrefix("run.") || event.kind.rawValue.hasPrefix("batch."):
            try await loadRuns()
            try await loadProposals()
        default:
            break
        }
    }

    private func loadProposals() async throws { post(.proposals(try await client.proposals())) }

    private func loadRuns() async throws { post(.runs(try await client.runs(limit: Self.recentRuns))) }

    /// Streams a run's log and re-reads its progress every second until it ends.
    func follow(run id: Int64) async {
        async let log: Void = {
            _ = try? await client.followRun(id) { line in post(.runLog(id, [line])) }
        }()
        while !Task.isCancelled {
            guard let run = try? await client.run(id) else { break }
            post(.run(run))
            if run.status.isFinished { break }
            try? await Task.sleep(for: .seconds(1))
        }
        await log
    }

    /// A short reason for the status bar.
    static func reason(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("unreachable") || text.contains("refused") { return "crowbard unreachable" }
        return String(text.prefix(60))
    }
}

import ArgumentParser
import CrowbarClient
import CrowbarCore
import CrowbarTUI
import Foundation
import Synchronization

/// `crowbar tui`: the operator's full-screen view of crowbard, over the same URL and token as every command.
struct TerminalUICommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "The operator's terminal UI: nodes, proposals and runs, live; node actions, proposal forms, run logs.",
        discussion: """
            Screens: 1 nodes, 2 proposals, 3 runs (4 batch with --batch); Tab cycles them, ? lists the keys, q quits.
            Needs a terminal of at least 40x8; NO_COLOR turns colour off.
            """)
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "A batch file: opens on what applying it would do, then applies it on `a`.") var batch: String?

    func run(client: CrowbarClient) async throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw ValidationError("crowbar tui needs a terminal")
        }
        let batchFile = try batch.map { file in (file, try BatchFollower.read(file)) }
        let inbox = Inbox()
        let feed = LiveFeed(client: client, post: inbox.post)
        let requests = TerminalUIRequests(client: client, feed: feed, post: inbox.post)
        let live = Task { await feed.run() }
        defer {
            live.cancel()
            requests.cancelAll()
        }
        if let (file, content) = batchFile { requests.preview(BatchSubmission(file: file, content: content)) }
        let url = client.baseURL
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            // ncurses wants one thread: the UI runs on its own, the network on the tasks.
            Thread {
                Self.loop(model: TUIModel(url: url, batchFile: batchFile?.0), inbox: inbox, send: requests.send)
                done.resume()
            }.start()
        }
    }

    /// Reads keys and messages and repaints until the operator quits; the terminal is restored on every way out. The
    /// screen is repainted after a key or a message, and every second while a run is running (its clock).
    private static func loop(model: TUIModel, inbox: Inbox, send: (TUIRequest) -> Void) {
        let terminal = Terminal()
        defer { terminal.close() }
        var model = model
        var size = (width: 0, height: 0)
        var dirty = true
        var painted = ContinuousClock.now
        while true {
            for message in inbox.take() {
                model.receive(message)
                dirty = true
            }
            if terminal.size != size {
                size = terminal.size
                dirty = true
            }
            if model.runs.values.contains(where: { !$0.status.isFinished }), ContinuousClock.now - painted > .seconds(1) { dirty = true }
            if dirty {
                terminal.paint(model.render(width: size.width, height: size.height))
                painted = ContinuousClock.now
                dirty = false
            }
            guard let key = terminal.readKey() else { continue }
            dirty = true
            switch model.handle(key) {
            case .quit: return
            case .send(let request): send(request)
            case nil: break
            }
        }
    }
}

/// Carries out the UI's requests on crowbard and posts the answers (or "failed: …") back; keeps one follower per run.
final class TerminalUIRequests: Sendable {
    let client: CrowbarClient
    let feed: LiveFeed
    let post: @Sendable (TUIMessage) -> Void
    private let tasks = Mutex<[Task<Void, Never>]>([])
    private let followed = Mutex<Set<Int64>>([])
    private let submission = Mutex<BatchSubmission?>(nil)

    init(client: CrowbarClient, feed: LiveFeed, post: @escaping @Sendable (TUIMessage) -> Void) {
        self.client = client
        self.feed = feed
        self.post = post
    }

    func send(_ request: TUIRequest) {
        start {
            do {
                if let notice = try await self.perform(request) { self.post(.notice(notice)) }
            } catch {
                self.post(.notice("failed: \(error)"))
            }
        }
    }

    /// Reads what applying the batch file would do; `a` then submits the same text.
    func preview(_ batch: BatchSubmission) {
        submission.withLock { $0 = batch }
        start {
            do {
                self.post(.batchPreview(try await self.client.previewBatch(batch)))
            } catch {
                self.post(.notice("failed: \(error)"))
            }
        }
    }

    func cancelAll() { tasks.withLock { $0.forEach { $0.cancel() } } }

    private func start(_ work: @escaping @Sendable () async -> Void) {
        let task = Task { await work() }
        tasks.withLock { $0.append(task) }
    }

    /// Does what the request asks; answers the line for the status bar, if any.
    private func perform(_ request: TUIRequest) async throws -> String? {
        switch request {
        case .node(let request): return try await perform(request)
        case .edit(let proposal, let edit, let version):
            post(.proposal(try await current(proposal) {
                try await self.client.edit(barclamp: proposal.barclamp, name: proposal.name, edits: [edit], ifVersion: version)
            }))
            return "\(proposal): \(edit.path) set (commit to apply it)"
        case .assign(let proposal, let role, let nodes, let version):
            post(.proposal(try await current(proposal) {
                try await self.client.assign(barclamp: proposal.barclamp, name: proposal.name, role: role, nodes: nodes, ifVersion: version)
            }))
            return "\(proposal): \(role) on \(nodes.isEmpty ? "no node" : nodes.joined(separator: ", "))"
        case .commit(let proposal, let apply, let version):
            let result = try await current(proposal) {
                try await self.client.commit(barclamp: proposal.barclamp, name: proposal.name, apply: apply, ifVersion: version)
            }
            post(.proposal(try await client.proposal(barclamp: proposal.barclamp, name: proposal.name)))
            guard let run = result.run else { return "\(proposal): revision \(result.revision.revision) committed" }
            watch(run.id)
            return nil
        case .check(let proposal):
            watch(try await client.check(barclamp: proposal.barclamp, name: proposal.name).id)
            return nil
        case .plan(let proposal):
            post(.plan(proposal, try await client.plan(barclamp: proposal.barclamp, name: proposal.name)))
            return nil
        case .diff(let proposal):
            post(.diff(proposal, try await client.diff(barclamp: proposal.barclamp, name: proposal.name)))
            return nil
        case .reveal(let proposal):
            post(.revealed(try await client.proposal(barclamp: proposal.barclamp, name: proposal.name, secrets: true)))
            return nil
        case .cancelRun(let id):
            let run = try await client.cancelRun(id)
            post(.run(run))
            return "run \(id): cancel asked (\(run.status.rawValue))"
        case .followRun(let id):
            follow(id)
            return nil
        case .applyBatch:
            guard let batch = submission.withLock({ $0 }) else { return "failed: no batch file was loaded" }
            try await followBatch(try await client.submitBatch(batch))
            return nil
        }
    }

    /// Runs a change made from the form's copy of `proposal`; when someone changed the proposal since (412), shows the
    /// proposal as it is now before the error reaches the status bar.
    private func current<T>(_ proposal: ProposalRef, _ change: () async throws -> T) async throws -> T {
        do {
            return try await change()
        } catch let error as ClientError where error.status == 412 {
            if let fresh = try? await client.proposal(barclamp: proposal.barclamp, name: proposal.name) { post(.proposal(fresh)) }
            throw error
        }
    }

    private func perform(_ request: NodeRequest) async throws -> String {
        switch request {
        case .allocate(let node):
            let allocated = try await client.allocate(node: node)
            return "\(node): \(allocated.state.rawValue) at \(allocated.adminAddress?.description ?? "-")"
        case .power(let node, let action):
            let result = try await client.power(node, PowerRequest(action: action))
            return "\(node): power \(action.rawValue) done, \(result.state?.rawValue ?? "state unknown")"
        case .reinstall(let node):
            let node = try await client.reinstall(node: node)
            return "\(node.name): \(node.state.rawValue)"
        case .transition(let node, let state):
            let moved = try await client.transition(node: node, to: state, reason: "from crowbar tui")
            return "\(node): \(moved.state.rawValue)"
        case .delete(let node):
            try await client.deleteNode(named: node)
            return "\(node) deleted"
        }
    }

    /// Shows a run the operator started on the runs screen and follows it.
    private func watch(_ run: Int64) {
        post(.watch(run))
        follow(run)
    }

    private func follow(_ run: Int64) {
        guard followed.withLock({ $0.insert(run).inserted }) else { return }
        start { await self.feed.follow(run: run) }
    }

    /// Re-reads the batch every second until it ends, showing each run it starts.
    private func followBatch(_ submitted: Batch) async throws {
        var batch = submitted
        var shown: Set<Int64> = []
        while true {
            post(.batch(batch))
            for run in batch.entries.compactMap(\.run) where shown.insert(run).inserted { watch(run) }
            if batch.status.isFinished || Task.isCancelled { return }
            try await Task.sleep(for: .seconds(1))
            batch = try await client.batch(batch.id)
        }
    }
}

/// Messages from the network tasks to the UI thread.
final class Inbox: Sendable {
    private let messages = Mutex<[TUIMessage]>([])

    @Sendable func post(_ message: TUIMessage) { messages.withLock { $0.append(message) } }

    func take() -> [TUIMessage] { messages.withLock { list in defer { list = [] }; return list } }
}

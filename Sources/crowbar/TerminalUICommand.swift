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
        abstract: "The operator's terminal UI: nodes live as they are discovered and change state, node actions.",
        discussion: "Keys: ? lists them, q quits. Needs a terminal of at least 40x8; NO_COLOR turns colour off.")
    @OptionGroup var connection: ConnectionOptions

    func run(client: CrowbarClient) async throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw ValidationError("crowbar tui needs a terminal")
        }
        let inbox = Inbox()
        let feed = Task { await LiveFeed(client: client, post: inbox.post).run() }
        defer { feed.cancel() }
        let url = client.baseURL
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            // ncurses wants one thread: the UI runs on its own, the network on the tasks.
            Thread {
                Self.loop(url: url, inbox: inbox) { request in
                    Task {
                        do {
                            inbox.post(.notice(try await Self.perform(request, client: client)))
                        } catch {
                            inbox.post(.notice("failed: \(error)"))
                        }
                    }
                }
                done.resume()
            }.start()
        }
    }

    /// Reads keys and messages and repaints until the operator quits; the terminal is restored on every way out.
    private static func loop(url: String, inbox: Inbox, send: (NodeRequest) -> Void) {
        let terminal = Terminal()
        defer { terminal.close() }
        var model = TUIModel(url: url)
        var size = (width: 0, height: 0)
        var dirty = true
        while true {
            for message in inbox.take() {
                model.receive(message)
                dirty = true
            }
            if terminal.size != size {
                size = terminal.size
                dirty = true
            }
            if dirty {
                terminal.paint(model.render(width: size.width, height: size.height))
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

    private static func perform(_ request: NodeRequest, client: CrowbarClient) async throws -> String {
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
        case .delete(let node):
            try await client.deleteNode(named: node)
            return "\(node) deleted"
        }
    }
}

/// Messages from the network tasks to the UI thread.
final class Inbox: Sendable {
    private let messages = Mutex<[TUIMessage]>([])

    @Sendable func post(_ message: TUIMessage) { messages.withLock { $0.append(message) } }

    func take() -> [TUIMessage] { messages.withLock { list in defer { list = [] }; return list } }
}

import CrowbarCore
import CrowbarSSH
import Foundation
import Synchronization

/// Applies one compiled recipe to one node: runs it with ``CompiledRecipe/command`` through the transport, streams its lines
/// to the log (the parser masks secrets in each line) and turns the markers into a result. `packagesInstalled` hears when
/// the recipe's last `package:` resource has succeeded (``CompiledRecipe/lastPackage``).
struct NodeApplier: Sendable {
    let transport: any NodeTransport
    let log: RunJournal

    func apply(
        _ compiled: CompiledRecipe, timeoutSeconds: Int, to node: Node, step: Int, scrubber: SecretScrubber,
        packagesInstalled: (@Sendable () -> Void)? = nil
    ) async -> NodeApplyResult {
        let started = Date()
        let parser = SharedRecipeOutput(RecipeOutput(labels: compiled.resources, marker: compiled.marker, scrub: scrubber.scrub))
        let log = self.log
        let nodeName = node.name
        @Sendable func lines(_ events: [RecipeOutputEvent]) -> [PendingLogLine] {
            events.compactMap { event in
                switch event {
                case .line(_, let text): PendingLogLine(step: step, node: nodeName, text: text)
                case .finished(let result) where result.status != .ok:
                    PendingLogLine(step: step, node: nodeName, text: "\(result.status.rawValue): \(result.resource)")
                case .finished: nil
                }
            }
        }
        do {
            let exit = try await transport.execute(
                CompiledRecipe.command, stdin: Array(compiled.script.utf8), timeout: .seconds(timeoutSeconds), on: node
            ) { output in
                switch output.stream {
                case .stdout:
                    let events = parser.state.withLock { $0.consume(output.bytes) }
                    log.write(lines(events))
                    if let packagesInstalled, events.contains(where: {
                        if case .finished(let result) = $0 { result.index == compiled.lastPackage && result.status != .failed } else { false }
                    }) {
                        packagesInstalled()
                    }
                case .stderr:
                    let text = String(decoding: output.bytes, as: UTF8.self)
                    log.write(text.split(separator: "\n").map { PendingLogLine(step: step, node: nodeName, text: scrubber.scrub(String($0))) })
                }
            }
            log.write(lines(parser.state.withLock { $0.finish() }))
            let output = parser.state.withLock { $0 }
            let resources = output.results.map { scrubbed($0, scrubber) }
            if output.completed && exit.succeeded {
                return NodeApplyResult(node: node.name, succeeded: true, resources: resources, startedAt: started, finishedAt: Date())
            }
            let reason = resources.contains { $0.status == .failed } ? nil
                : "the recipe stopped early (exit \(exit.signal.map { "signal \($0)" } ?? String(exit.status)))"
            return NodeApplyResult(node: node.name, succeeded: false, resources: resources, error: reason, startedAt: started, finishedAt: Date())
        } catch {
            await transport.drop(node.name)
            var resources = parser.state.withLock { $0.results }.map { scrubbed($0, scrubber) }
            if let unfinished = parser.state.withLock({ $0.unfinished }), compiled.resources.indices.contains(unfinished.index - 1) {
                resources.append(ResourceResult(
                    index: unfinished.index, resource: compiled.resources[unfinished.index - 1], status: .failed,
                    output: scrubber.scrub(unfinished.output)))
            }
            log.write(step: step, node: node.name, "error: \(error)")
            return NodeApplyResult(
                node: node.name, succeeded: false, resources: resources, error: "\(error)", startedAt: started, finishedAt: Date())
        }
    }

    /// Masks a whole result once more: lines are masked as they arrive, this catches a secret spanning lines.
    private func scrubbed(_ result: ResourceResult, _ scrubber: SecretScrubber) -> ResourceResult {
        var copy = result
        copy.output = scrubber.scrub(result.output)
        return copy
    }
}

/// The output parser, shared between the SSH output callback and the code that reads the results.
final class SharedRecipeOutput: Sendable {
    let state: Mutex<RecipeOutput>
    init(_ output: RecipeOutput) { state = Mutex(output) }
}

import CrowbarCore
import CrowbarStore
import Foundation
import Logging

/// Does on a node what ``PackageStager`` decides: runs the staging recipe (``PackageStaging``), lowers a staging whose
/// node has become idle behind the steps, and raises one that a step has come to wait for back to the steps' priority
/// (``StagingPriority``).
struct StagingRunner: Sendable {
    let database: CrowbarDatabase
    /// The stagings' own transport (its own SSH threads); a staging's connection is closed when it ends.
    let transport: any NodeTransport
    /// The steps' transport (a raise goes over it: the staging's own connection is busy with the staging) and the
    /// priority a staging runs at until a step waits for it; nil when stagings run at the steps' priority.
    let behindSteps: (steps: any NodeTransport, priority: StagingPriority)?
    /// The file whose presence says package installs start no service (the provisioner's `policy-rc.d`).
    let servicesHeldBy: String
    let logger: Logger

    /// How a staging ended.
    enum Outcome {
        /// It installed some of its packages.
        case installed
        /// It found them all installed already (a re-apply).
        case foundInstalled
        /// It was refused, failed or could not run: the steps install what is missing.
        case failed
    }

    /// Runs the staging recipe for `packages` on `node`, its recipe's marker `name`, behind the steps from the start
    /// when `lowered`.
    func stage(_ packages: [String], on node: String, as name: String, lowered: Bool) async -> Outcome {
        let started = ContinuousClock.now
        var outcome = Outcome.failed
        var metadata: Logger.Metadata = ["node": "\(node)", "packages": "\(packages.count)"]
        if lowered && behindSteps != nil { metadata["priority"] = "behind the steps" }
        do {
            let recipe = PackageStaging.recipe(
                packages: packages, servicesHeldBy: servicesHeldBy, priority: behindSteps.map { ($0.priority, name, lowered) })
            let target = try await database.node(named: node)
            let compiled = try RecipeCompiler.compile(
                recipe, templates: [:],
                context: RecipeContext(barclamp: "crowbar", proposal: "staging", attributes: .map([:]), node: RecipeNode(target)),
                checkMode: false, marker: name)
            let parser = SharedRecipeOutput(RecipeOutput(labels: compiled.resources, marker: name))
            let exit = try await transport.execute(
                CompiledRecipe.command, stdin: Array(compiled.script.utf8), timeout: .seconds(recipe.timeoutSeconds), on: target
            ) { output in
                if output.stream == .stdout { _ = parser.state.withLock { $0.consume(output.bytes) } }
            }
            let result = parser.state.withLock { output in
                _ = output.finish()
                return output
            }
            metadata["seconds"] = "\(String(format: "%.1f", (ContinuousClock.now - started).inSeconds))"
            if result.completed && exit.succeeded {
                // The package resource is the recipe's last.
                let installed = result.results.contains { $0.index == compiled.resources.count && $0.status == .changed }
                outcome = installed ? .installed : .foundInstalled
                metadata["installed"] = "\(installed)"
                logger.info("packages staged", metadata: metadata)
            } else {
                let failed = result.results.first { $0.status == .failed }
                metadata["reason"] = "\(failed.map { "\($0.resource): \($0.output.suffix(400))" } ?? "exit \(exit.status)")"
                logger.notice("packages not staged; the steps install them", metadata: metadata)
            }
        } catch {
            metadata["error"] = "\(error)"
            logger.notice("packages not staged; the steps install them", metadata: metadata)
        }
        await transport.drop(node)
        return outcome
    }

    /// Raises the staging `name` on `node` to the steps' priority (a step there waits for it); a failure only leaves it
    /// slower.
    func raise(_ name: String, on node: String) async {
        await tell(node, name, "raised") { $0.raising(staging: name) }
    }

    /// Lowers the staging `name` on `node`, begun at the steps' priority while its node was busy, behind the steps (its
    /// node is idle now); a failure only leaves it where it was.
    func lower(_ name: String, on node: String) async {
        await tell(node, name, "lowered") { $0.lowering(staging: name) }
    }

    /// Runs `script`'s answer over the steps' transport on `node` (the staging's own connection is busy with it) and
    /// logs whether the staging `name`'s priority was `done`.
    private func tell(_ node: String, _ name: String, _ done: String, _ script: (StagingPriority) -> String) async {
        guard let (steps, priority) = behindSteps else { return }
        var metadata: Logger.Metadata = ["node": "\(node)", "staging": "\(name)"]
        do {
            let exit = try await steps.execute(
                CompiledRecipe.command, stdin: Array(script(priority).utf8), timeout: .seconds(30),
                on: try await database.node(named: node)) { _ in }
            if exit.succeeded {
                logger.info("staging's priority \(done)", metadata: metadata)
                return
            }
            metadata["exit"] = "\(exit.status)"
        } catch {
            metadata["error"] = "\(error)"
        }
        logger.notice("staging's priority not \(done)", metadata: metadata)
    }
}

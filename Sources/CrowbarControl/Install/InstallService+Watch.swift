import CrowbarCore
import CrowbarStore
import Foundation
import Logging
import ServiceLifecycle

extension InstallService {
    /// One look at every install in flight, from the database alone (so it resumes after a crowbard restart): open
    /// attempts past their deadline fail; installed nodes whose SSH answers move on to `readying` (their barclamps
    /// are applied), those that stay silent past the boot timeout go to `problem`.
    public func sweep(now: Date = Date()) async throws {
        let database = context.database
        for attempt in try await database.expiredInstalls(now: now) {
            let phase = attempt.phase.map { "last phase \($0)" } ?? "the installer never reported"
            try await database.failInstall(attempt: attempt.id, reason: "no report from the installer by the deadline (\(phase))", now: now)
        }
        guard let settings else { return }
        for (node, attempt) in try await database.installedNodes() {
            guard let address = node.adminAddress else { continue }
            // One node's trouble (deleted meanwhile, reinstalled during the probe) must not stop the others'.
            do {
                if await settings.sshAnswers(address) {
                    _ = try await nodes.transition(node.name, to: .readying, reason: "booted its installed OS: SSH answers at \(address)")
                } else if let finished = attempt.finishedAt, now.timeIntervalSince(finished) > settings.bootTimeout.inSeconds {
                    try await database.failBoot(
                        attempt: attempt.id,
                        reason: "installed, but SSH did not answer at \(address) within \(Int(settings.bootTimeout.inSeconds)) s of the install", now: now)
                }
            } catch {
                logger.warning("install watch: \(node.name): \(error)")
            }
        }
    }

    /// Called once as crowbard starts: open attempts get at least the boot timeout more, so an installer that kept
    /// retrying its report while crowbard was down is not failed the moment it is back.
    public func resume(now: Date = Date()) async throws {
        guard let settings else { return }
        try await context.database.extendOpenInstalls(until: now.addingTimeInterval(settings.bootTimeout.inSeconds), now: now)
    }
}

/// Runs ``InstallService/sweep(now:)`` every few seconds as a service of crowbard, until graceful shutdown.
public struct InstallWatcher: Service {
    let install: InstallService
    let interval: Duration
    let logger: Logger

    /// Sweeps every `interval` (5 s).
    public init(install: InstallService, interval: Duration = .seconds(5), logger: Logger) {
        self.install = install
        self.interval = interval
        self.logger = logger
    }

    /// Extends the open installs' deadlines once (``InstallService/resume(now:)``), then sweeps until graceful shutdown.
    public func run() async throws {
        do { try await install.resume() } catch { logger.error("cannot extend the open installs' deadlines", metadata: ["error": "\(error)"]) }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await install.sweep()
                } catch {
                    logger.error("install watch failed; retrying", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

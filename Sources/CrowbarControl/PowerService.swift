import CrowbarCore
import CrowbarStore
import Foundation
import Synchronization

/// Nodes' BMCs and power: the settings crowbard keeps for each BMC (password masked in answers unless asked for), and
/// power actions through the drivers, one node or many at a bounded concurrency. Every change, boot-device set and
/// failure is an event on the node with its actor and outcome (a status query that succeeds is not).
public struct PowerService: Sendable {
    let context: ControlContext
    let networks: NetworkService
    let drivers: (any PowerDrivers)?

    /// The most BMCs a sweep talks to at once.
    public static let maximumConcurrency = 64

    /// Node `name`'s BMC, password masked unless `showSecrets`; `notFound` when it has none.
    public func bmc(of name: String, showSecrets: Bool) async throws -> BMC {
        guard let bmc = try await context.database.bmc(node: name) else {
            throw CrowbarError(.notFound, Self.noBMC(name))
        }
        return showSecrets ? bmc : bmc.masked
    }

    /// Sets node `name`'s BMC (validated) and answers it masked. Without an address, the one the discovery agent read
    /// in-band is taken (source `discovery`).
    public func setBMC(_ bmc: BMC, on name: String, actor: String) async throws -> BMC {
        var settings = bmc
        if settings.address.isEmpty, let found = try await context.database.node(named: name).inventory.bmcAddress {
            // What the agent reported came over the open boot network: only an address in the bmc network's host range
            // is taken, so a machine cannot point crowbard's credentials at an address of its choosing elsewhere.
            let range = try await networks.inForce().first { $0.name == "bmc" }?.range(named: "host")
            guard let address = IPv4Address(found), let range, range.contains(address) else {
                throw CrowbarError(
                    .invalid, "the BMC address the agent reported (\(found)) is not in the bmc network's host range: give the address",
                    context: ["field": "address"])
            }
            settings.address = found
            settings.source = .discovery
        }
        try settings.validate()
        if let fingerprint = settings.certificateFingerprint.flatMap(CertificateFingerprint.init) { settings.certificateFingerprint = fingerprint.hex }
        try await context.database.setBMC(node: name, to: settings, actor: actor)
        return settings.masked
    }

    /// Forgets node `name`'s BMC.
    public func removeBMC(of name: String, actor: String) async throws {
        try await context.database.setBMC(node: name, to: nil, actor: actor)
    }

    /// Does `request` on node `name`'s BMC. A failure is in the result (``PowerResult/failure``), not thrown; a node
    /// that does not exist is a `notFound` error.
    public func power(_ name: String, _ request: PowerRequest, actor: String) async throws -> PowerResult {
        let bmc = try await context.database.bmc(node: name)
        return await power(name, bmc: bmc, action: request.action, bootDevice: request.bootDevice, persistent: request.persistent ?? false, actor: actor)
    }

    /// Does one action on many nodes, at most `concurrency` BMCs at once; answers one result per node, by name.
    /// Named nodes must exist; nodes picked by state or `all` are those with a BMC.
    public func sweep(_ request: PowerSweepRequest, actor: String) async throws -> [PowerResult] {
        let concurrency = request.concurrency ?? 8
        guard (1...Self.maximumConcurrency).contains(concurrency) else {
            throw CrowbarError(.invalid, "concurrency must be between 1 and \(Self.maximumConcurrency)", context: ["field": "concurrency"])
        }
        let bmcs = try await context.database.bmcs()
        let targets = try await sweepTargets(request, bmcs: bmcs)
        var results: [PowerResult] = []
        await withTaskGroup(of: PowerResult.self) { group in
            var pending = targets.makeIterator()
            func startNext() {
                guard let name = pending.next() else { return }
                group.addTask {
                    await power(name, bmc: bmcs[name], action: request.action, bootDevice: request.bootDevice, persistent: false, actor: actor)
                }
            }
            for _ in 0..<concurrency { startNext() }
            for await result in group {
                results.append(result)
                startNext()
            }
        }
        return results.sorted { $0.node < $1.node }
    }

    private static func noBMC(_ name: String) -> String { "node \(name) has no BMC; set one with `crowbar node bmc set \(name)`" }

    private func sweepTargets(_ request: PowerSweepRequest, bmcs: [String: BMC]) async throws -> [String] {
        if request.nodes != nil, request.state != nil {
            throw CrowbarError(.invalid, "name the nodes or give a state, not both", context: ["field": "state"])
        }
        if let names = request.nodes {
            for name in names { _ = try await context.database.node(named: name) }
            return Array(Set(names)).sorted()
        }
        let nodes = try await context.database.nodes()
        return nodes.filter { bmcs[$0.name] != nil && (request.state == nil || $0.state == request.state) }.map(\.name)
    }

    private func power(
        _ name: String, bmc: BMC?, action: PowerAction, bootDevice: BootDevice?, persistent: Bool, actor: String
    ) async -> PowerResult {
        let started = ContinuousClock.now
        var result = PowerResult(node: name, action: action, milliseconds: 0)
        do {
            guard let bmc else { throw PowerFailure(.noBMC, Self.noBMC(name)) }
            guard let drivers else { throw PowerFailure(.failed, "this crowbard has no power drivers") }
            let driver = drivers.driver(for: bmc)
            result.state = try await Self.within(drivers.deadline, what: "BMC \(bmc.address) did not finish \(action.rawValue)") {
                if let bootDevice { try await driver.setBootDevice(bootDevice, persistent: persistent) }
                if let change = action.change { try await driver.perform(change) }
                return try await driver.state()
            }
        } catch let failure as PowerFailure {
            result.failure = failure
        } catch {
            result.failure = PowerFailure(.failed, "\(error)")
        }
        result.milliseconds = Int((ContinuousClock.now - started).wholeMilliseconds)
        if action != .status || bootDevice != nil || result.failure != nil {
            try? await context.database.recordPower(result, actor: actor)
        }
        return result
    }

    /// `work`'s answer, or a timeout failure as soon as `deadline` has passed. `work` is then cancelled (a driver's
    /// running ipmitool session is stopped) and left to wind down on its own: the answer does not wait for that.
    private static func within<T: Sendable>(
        _ deadline: Duration, what: String, _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let outcome = Mutex<CheckedContinuation<T, any Error>?>(nil)
        let finish: @Sendable (Result<T, any Error>) -> Void = { result in
            outcome.withLock { continuation in
                continuation?.resume(with: result)
                continuation = nil
            }
        }
        var tasks: [Task<Void, Never>] = []
        defer { tasks.forEach { $0.cancel() } }
        return try await withCheckedThrowingContinuation { continuation in
            outcome.withLock { $0 = continuation }
            tasks.append(Task {
                do { finish(.success(try await work())) } catch { finish(.failure(error)) }
            })
            tasks.append(Task {
                guard (try? await Task.sleep(for: deadline)) != nil else { return }
                finish(.failure(PowerFailure(.timeout, "\(what) within \(deadline)")))
            })
        }
    }
}

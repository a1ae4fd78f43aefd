import CrowbarCore
import CrowbarStore

/// The loaded barclamps.
public struct BarclampService: Sendable {
    public let catalog: BarclampCatalog

    /// Every barclamp in run order.
    public func list() -> [Barclamp] { catalog.runOrder }

    /// The barclamp called `name`, or a not-found error.
    public func barclamp(named name: String) throws -> Barclamp {
        guard let barclamp = catalog[name] else { throw CrowbarError(.notFound, "no barclamp named \(name)") }
        return barclamp
    }
}

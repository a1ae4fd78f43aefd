import AsyncHTTPClient
import CrowbarCore

/// crowbard's power drivers: IPMI through ipmitool, Redfish over HTTPS with the BMC's certificate pinned.
public struct CrowbarPowerDrivers: PowerDrivers {
    /// The bound of each call to a BMC.
    public let timeout: Duration

    public init(timeout: Duration = .seconds(15)) { self.timeout = timeout }

    /// Three calls' worth: an action is at most a boot-device set, a change and a status query.
    public var deadline: Duration { timeout * 3 }

    public func driver(for bmc: BMC) -> any PowerDriver {
        switch bmc.driver {
        case .ipmi: IPMIToolDriver(bmc: bmc, timeout: timeout)
        case .redfish: RedfishDriver(bmc: bmc, timeout: timeout)
        }
    }
}

/// Talks to one BMC. Implementations (IPMI through ipmitool, Redfish over HTTPS) live in `CrowbarPower`; each call
/// is bounded in time and throws ``PowerFailure``.
public protocol PowerDriver: Sendable {
    /// The power state the BMC reports.
    func state() async throws -> PowerState
    /// Makes a power change.
    func perform(_ change: PowerChange) async throws
    /// Sets the device the node boots from next, or on every boot when `persistent`.
    func setBootDevice(_ device: BootDevice, persistent: Bool) async throws
}

/// Makes the driver for a BMC's settings (crowbard's: IPMI or Redfish by ``BMC/driver``).
public protocol PowerDrivers: Sendable {
    func driver(for bmc: BMC) -> any PowerDriver
    /// The most one action may take, all its calls to the BMC together (boot device, change, status).
    var deadline: Duration { get }
}

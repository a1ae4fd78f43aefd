/// A batch asks the orchestrator to install ahead, with services held, the packages its later proposals will install
/// on its nodes (issue 20: a compute node's libvirt and nova install while the controller runs keystone; the
/// controller's nova and neutron while keystone's database migrates). Nothing depends on it: a step still installs whatever is missing, in order; staging only moves
/// package installation off the critical path.
public struct PackageStagingRequest: Sendable, Hashable {
    /// The batch, so that what one batch staged is not taken as staged for the next.
    public var batch: Int64
    /// The nodes of the proposal being applied now: none starts staging before its last step of the run has
    /// installed its own packages (one that started earlier in the batch goes on).
    public var busy: Set<String>
    /// The later proposals the batch will apply, in order.
    public var upcoming: [UpcomingRun]

    public init(batch: Int64, busy: Set<String>, upcoming: [UpcomingRun]) {
        self.batch = batch
        self.busy = busy
        self.upcoming = upcoming
    }

    /// The batch has ended (succeeded, failed or could not go on): nothing of it is staged any more.
    public static func ended(batch: Int64) -> PackageStagingRequest { PackageStagingRequest(batch: batch, busy: [], upcoming: []) }

    /// Whether this says the batch has ended.
    public var endsBatch: Bool { busy.isEmpty && upcoming.isEmpty }
}

/// A proposal revision a batch will apply later: the revision its steps (which name the proposal) compile against.
public struct UpcomingRun: Sendable, Hashable {
    public var revision: Int
    public var steps: [PlanStep]

    public init(revision: Int, steps: [PlanStep]) {
        self.revision = revision
        self.steps = steps
    }
}

/// The recipe that stages packages on a node.
public enum PackageStaging {
    /// The name the staging recipe carries in logs and in its script's first line.
    public static let recipeName = "crowbar/staging"

    /// Installs `packages` (whatever of them is missing), but only where package installs start no service: the file
    /// `servicesHeldBy` (the provisioner's `policy-rc.d`) must exist, or the recipe fails before installing anything.
    public static func recipe(packages: [String], servicesHeldBy: String = "/usr/sbin/policy-rc.d") -> Recipe {
        let location = SourceLocation(file: recipeName, line: 1)
        let held = servicesHeldBy.shellQuoted
        return Recipe(
            name: recipeName,
            resources: [
                Resource(
                    kind: .command(run: "echo \("no \(servicesHeldBy): a package install would start its services".shellQuoted); exit 1",
                        creates: nil, unless: "test -x \(held)"),
                    location: location, label: "services held"),
                Resource(kind: .package(names: packages), location: location),
            ],
            timeoutSeconds: 1800)
    }
}

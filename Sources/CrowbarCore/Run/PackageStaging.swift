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
    /// With `behindSteps`, the staging first lowers its own priority (``StagingPriority/lowering(staging:)``).
    public static func recipe(
        packages: [String], servicesHeldBy: String = "/usr/sbin/policy-rc.d",
        behindSteps: (priority: StagingPriority, staging: String)? = nil
    ) -> Recipe {
        let location = SourceLocation(file: recipeName, line: 1)
        let held = servicesHeldBy.shellQuoted
        var resources = [
            Resource(
                kind: .command(run: "echo \("no \(servicesHeldBy): a package install would start its services".shellQuoted); exit 1",
                    creates: nil, unless: "test -x \(held)"),
                location: location, label: "services held")
        ]
        if let (priority, staging) = behindSteps {
            resources.append(Resource(
                kind: .command(run: priority.lowering(staging: staging), creates: nil, unless: nil), location: location,
                label: "behind the steps"))
        }
        resources.append(Resource(kind: .package(names: packages), location: location))
        return Recipe(name: recipeName, resources: resources, timeoutSeconds: 1800)
    }
}

/// How a staging no step waits for yet stays out of the steps' way where nodes share CPUs (a lab's containers or
/// virtual machines on one host; on real hardware each node has its own): its SSH session, and so everything it starts
/// (apt, dpkg, maintainer scripts), runs at a lower CPU priority — the session's autogroup, which is how Linux weighs
/// one session against another, and the session's processes' nice value — until a step on its node waits for it
/// (``raising(staging:)``). Each staging writes its session and name to `folder`, so a raise that comes before the
/// staging has lowered itself is seen by it: each side writes its file before it reads the other's.
public struct StagingPriority: Sendable, Hashable {
    /// The nice value a staging runs at until a step waits for it (1–19).
    public var niceness: Int
    /// Where the staging's session and a raise are written (`crowbar-staging.session`, `crowbar-staging.raised`).
    public var folder: String

    public init(niceness: Int = 10, folder: String = "/run") {
        self.niceness = niceness
        self.folder = folder
    }

    private var sessionFile: String { (folder + "/crowbar-staging.session").shellQuoted }
    private var raisedFile: String { (folder + "/crowbar-staging.raised").shellQuoted }

    /// The staging recipe's command (run as a child of the recipe's script) that lowers its session's priority unless
    /// a raise for `staging` (a name unique to that staging) came first. Only a session the recipe's script leads (`sh
    /// -s` started by sshd, which starts each command in a session of its own) is changed, never the caller's.
    public func lowering(staging: String) -> String {
        """
        session=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f4)
        if [ "$(tr '\\0' ' ' 2>/dev/null < /proc/$session/cmdline)" != "sh -s " ]; then echo "not a recipe's own session: priority kept"; exit 0; fi
        echo "$session" \(staging.shellQuoted) > \(sessionFile)
        priority() { echo "$1" > /proc/$session/autogroup 2>/dev/null || true; renice -n "$1" -g "$session" > /dev/null || true; }
        priority \(niceness)
        if [ "$(cat \(raisedFile) 2>/dev/null)" = \(staging.shellQuoted) ]; then priority 0; fi
        """
    }

    /// A script (for `sh -s`) that raises `staging`'s session back to the steps' priority, now or as soon as it
    /// has lowered itself.
    public func raising(staging: String) -> String {
        """
        echo \(staging.shellQuoted) > \(raisedFile)
        set -- $(cat \(sessionFile) 2>/dev/null)
        [ "${2:-}" = \(staging.shellQuoted) ] || exit 0
        echo 0 > /proc/$1/autogroup 2>/dev/null || true
        renice -n 0 -g "$1" > /dev/null 2>&1 || true

        """
    }
}

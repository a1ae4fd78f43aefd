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
    /// With `priority`, the staging first makes itself known to it as `staging`, lowered at once when `lowered`
    /// (``StagingPriority/entering(staging:lowered:)``).
    public static func recipe(
        packages: [String], servicesHeldBy: String = "/usr/sbin/policy-rc.d",
        priority: (StagingPriority, staging: String, lowered: Bool)? = nil
    ) -> Recipe {
        let location = SourceLocation(file: recipeName, line: 1)
        let held = servicesHeldBy.shellQuoted
        var resources = [
            Resource(
                kind: .command(run: "echo \("no \(servicesHeldBy): a package install would start its services".shellQuoted); exit 1",
                    creates: nil, unless: "test -x \(held)"),
                location: location, label: "services held")
        ]
        if let (priority, staging, lowered) = priority {
            resources.append(Resource(
                kind: .command(run: priority.entering(staging: staging, lowered: lowered), creates: nil, unless: nil),
                location: location, label: "behind the steps"))
        }
        resources.append(Resource(kind: .package(names: packages), location: location))
        return Recipe(name: recipeName, resources: resources, timeoutSeconds: 1800)
    }
}

/// How a staging no step waits for yet stays out of the steps' way where nodes share CPUs (a lab's containers or
/// virtual machines on one host; on real hardware each node has its own): its SSH session, and so everything it starts
/// (apt, dpkg, maintainer scripts), runs at a lower CPU priority — the session's autogroup, which is how Linux weighs
/// one session against another, and the session's processes' nice value — from when it starts or is lowered
/// (``lowering(staging:)``) until a step on its node waits for it (``raising(staging:)``). Each side writes its file
/// in `folder` (the staging its session and name, a lowering or a raise the staging's name) before it reads the
/// others', so neither a lowering nor a raise is lost to a staging that has not started yet, and a raise always wins.
public struct StagingPriority: Sendable, Hashable {
    /// The nice value a staging runs at until a step waits for it (1–19).
    public var niceness: Int
    /// Where the staging's session, a lowering and a raise are written (`crowbar-staging.session`,
    /// `crowbar-staging.lowered`, `crowbar-staging.raised`).
    public var folder: String

    public init(niceness: Int = 10, folder: String = "/run") {
        self.niceness = niceness
        self.folder = folder
    }

    private var sessionFile: String { (folder + "/crowbar-staging.session").shellQuoted }
    private var loweredFile: String { (folder + "/crowbar-staging.lowered").shellQuoted }
    private var raisedFile: String { (folder + "/crowbar-staging.raised").shellQuoted }

    /// The staging recipe's command (run as a child of the recipe's script) that records its session as `staging`'s
    /// (a name unique to that staging) and lowers it when `lowered` or a lowering came first, unless a raise did. Only
    /// a session the recipe's script leads (`sh -s` started by sshd, which starts each command in a session of its own)
    /// is recorded and changed, never the caller's.
    public func entering(staging: String, lowered: Bool) -> String {
        """
        session=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f4)
        if [ "$(tr '\\0' ' ' 2>/dev/null < /proc/$session/cmdline)" != "sh -s " ]; then echo "not a recipe's own session: priority kept"; exit 0; fi
        echo "$session" \(staging.shellQuoted) > \(sessionFile)
        \(lowered ? "" : "[ \"$(cat \(loweredFile) 2>/dev/null)\" = \(staging.shellQuoted) ] || exit 0")
        \(behind(staging: staging))
        """
    }

    /// A script (for `sh -s`) that lowers `staging`, begun at the steps' priority, now or as soon as it has started,
    /// unless a raise for it came.
    public func lowering(staging: String) -> String {
        """
        echo \(staging.shellQuoted) > \(loweredFile)
        set -- $(cat \(sessionFile) 2>/dev/null)
        [ "${2:-}" = \(staging.shellQuoted) ] || exit 0
        session=$1
        \(behind(staging: staging))

        """
    }

    /// Lowers `$session`, then brings it back if a raise for `staging` has come: a raise written after that read
    /// renices the session after this did.
    private func behind(staging: String) -> String {
        """
        \(Self.priority)
        priority \(niceness)
        if [ "$(cat \(raisedFile) 2>/dev/null)" = \(staging.shellQuoted) ]; then priority 0; fi
        """
    }

    /// `priority N`: sets `$session`'s autogroup and its processes' nice value to N.
    private static let priority =
        #"priority() { echo "$1" > /proc/$session/autogroup 2>/dev/null || true; renice -n "$1" -g "$session" > /dev/null 2>&1 || true; }"#

    /// A script (for `sh -s`) that raises `staging`'s session back to the steps' priority, now or as soon as it
    /// has lowered itself.
    public func raising(staging: String) -> String {
        """
        echo \(staging.shellQuoted) > \(raisedFile)
        set -- $(cat \(sessionFile) 2>/dev/null)
        [ "${2:-}" = \(staging.shellQuoted) ] || exit 0
        session=$1
        \(Self.priority)
        priority 0

        """
    }
}

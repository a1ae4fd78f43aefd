extension Barclamp {
    /// The role a node joins when a state transition applies this barclamp to it: the last role by priority
    /// that takes any number of nodes (as Crowbar's ntp-client, dns-client and provisioner-base roles did).
    public var transitionRole: Role? {
        roles.sorted { ($0.priority, $0.name) < ($1.priority, $1.name) }.last { $0.max == nil }
    }
}

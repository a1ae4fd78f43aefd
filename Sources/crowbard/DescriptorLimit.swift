import Glibc

/// The open-descriptor limit crowbard runs with. A service gets a soft limit of 1,024 from systemd; a rack PXE-booting
/// at once needs more (every TFTP transfer holds a socket and a file, every boot download a connection), so the soft
/// limit is raised to the hard one, as Go's runtime and nginx's `worker_rlimit_nofile` do. The processes crowbard starts
/// (ssh, ipmitool, the lab's tools) inherit the raised limit.
enum DescriptorLimit {
    /// Raises the soft limit to the hard one; answers the limit now in force, nil if it cannot be read.
    static func raise() -> UInt64? {
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return UInt64(limit.rlim_cur)
    }
}

import CrowbarCore
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs a boot service once `address` is configured on one of this host's interfaces, so crowbard can start before
/// the admin interface exists (the lab creates it after crowbard has made its SSH key). Checks once a second.
/// Says so in `states` under `name`: unhealthy while it waits, then serving (crowbard wraps it in a `WatchedService`,
/// which records how it ends).
public struct AfterAddressAppears: Service {
    let address: String
    let service: any Service
    let name: String
    let states: ComponentStates
    let logger: Logger

    public init(_ address: String, run service: any Service, name: String, states: ComponentStates, logger: Logger) {
        self.address = address
        self.service = service
        self.name = name
        self.states = states
        self.logger = logger
    }

    public func run() async throws {
        states.set(name, healthy: false, "waiting for \(address) on an interface")
        do {
            try await cancelWhenGracefulShutdown {
                try await Self.poll("boot services wait for \(address) to be configured on an interface", logger: logger) {
                    Self.hostHas(address) ? () : nil
                }
            }
        } catch is CancellationError {
            return
        }
        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        states.set(name, healthy: true, "serving on \(address)")
        try await service.run()
    }

    /// Calls `probe` once a second until it yields a value, which it returns; says `waiting` once if it has to wait.
    static func poll<Value>(_ waiting: String, logger: Logger, _ probe: () -> Value?) async throws -> Value {
        var logged = false
        while true {
            if let value = probe() { return value }
            if !logged { logger.notice("\(waiting)") }
            logged = true
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// Whether an interface of this host (in this network namespace) has the IPv4 `address`.
    static func hostHas(_ address: String) -> Bool {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return false }
        defer { freeifaddrs(list) }
        var entry = list
        while let current = entry {
            defer { entry = current.pointee.ifa_next }
            guard let socketAddress = current.pointee.ifa_addr, socketAddress.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            let found = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer -> Bool in
                var inAddress = pointer.pointee.sin_addr
                return inet_ntop(AF_INET, &inAddress, &text, socklen_t(INET_ADDRSTRLEN)) != nil
            }
            if found, String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) == address { return true }
        }
        return false
    }
}

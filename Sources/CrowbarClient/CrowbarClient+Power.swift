import CrowbarCore
import NIOCore

extension CrowbarClient {
    /// `GET /nodes/{name}/bmc`: the password masked unless `secrets`.
    public func bmc(of name: String, secrets: Bool = false) async throws -> BMC {
        try await send(.GET, Endpoint("nodes", name, "bmc", query: [("secrets", secrets ? "true" : nil)]))
    }

    /// `PUT /nodes/{name}/bmc`: answers the settings stored, password masked.
    public func setBMC(_ bmc: BMC, on name: String) async throws -> BMC { try await send(.PUT, Endpoint("nodes", name, "bmc"), body: bmc) }

    /// `DELETE /nodes/{name}/bmc`.
    public func removeBMC(of name: String) async throws { _ = try await send(.DELETE, Endpoint("nodes", name, "bmc")) }

    /// `POST /nodes/{name}/power`: a BMC's failure is a ``ClientError`` with its `bmc_*` code.
    public func power(_ name: String, _ request: PowerRequest) async throws -> PowerResult {
        try await send(.POST, Endpoint("nodes", name, "power"), body: request)
    }

    /// `POST /power`: one result per node, failures inside. A sweep of many slow BMCs takes a while: `timeout` (default
    /// the client's) bounds the wait.
    public func power(_ request: PowerSweepRequest, timeout: TimeAmount? = nil) async throws -> [PowerResult] {
        try await send(.POST, Endpoint("power"), body: request, timeout: timeout)
    }
}

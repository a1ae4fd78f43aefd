import CrowbarControl
import CrowbarCore
import Foundation
import Hummingbird

/// BMC settings and power: one node's BMC (password masked unless `?secrets=true`), one node's power action (a
/// failure is an error answer with its `bmc_*` code), and a sweep over many nodes (one result each).
struct PowerRoutes {
    let power: PowerService

    func register(on api: RouterGroup<CrowbarRequestContext>) {
        api.get("nodes/:node/bmc") { request, context in
            try await power.bmc(of: context.parameters.path("node"), showSecrets: try request.wantsSecrets)
        }
        api.put("nodes/:node/bmc") { request, context in
            let bmc = try await request.decodeBody(BMC.self, context: context)
            return try await power.setBMC(bmc, on: context.parameters.path("node"), actor: request.actor)
        }
        api.delete("nodes/:node/bmc") { request, context -> HTTPResponse.Status in
            try await power.removeBMC(of: context.parameters.path("node"), actor: request.actor)
            return .noContent
        }
        api.post("nodes/:node/power") { request, context in
            let body = try await request.decodeBody(PowerRequest.self, context: context)
            let result = try await power.power(context.parameters.path("node"), body, actor: request.actor)
            if let failure = result.failure { throw failure }
            return result
        }
        api.post("power") { request, context in
            let body = try await request.decodeBody(PowerSweepRequest.self, context: context)
            return try await power.sweep(body, actor: request.actor)
        }
    }
}

extension BMC: ResponseEncodable {}
extension PowerResult: ResponseEncodable {}

extension Request {
    /// Who asked, for the history: the `X-Crowbar-Actor` the client names, through the API token.
    var actor: String { clientActor.map { "\($0) (API)" } ?? "API" }

    /// The person the client names in `X-Crowbar-Actor` (printable, at most 64 characters), if any.
    var clientActor: String? {
        guard let value = headers.first(where: { $0.name.canonicalName == "x-crowbar-actor" })?.value else { return nil }
        let printable = value.unicodeScalars.filter { (32..<127).contains($0.value) }
        let named = String(String.UnicodeScalarView(printable.prefix(64))).trimmingCharacters(in: CharacterSet.whitespaces)
        return named.isEmpty ? nil : named
    }
}


import CrowbarControl
import CrowbarCore
import Foundation
import Hummingbird

/// Builds the `/api/v1` router (and `/metrics`, when given): health is open, every other route needs the token. Each
/// request is measured (swift-metrics: by route, method and status).
public func buildRouter(control: Control, token: String, metrics: MetricsEndpoint? = nil) -> Router<CrowbarRequestContext> {
    let router = Router(context: CrowbarRequestContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: TokenAuthMiddleware(token: token, tokens: control.tokens, openPaths: ["/api/v1/health"]))
    if let metrics {
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: try await metrics.render(control.metrics))))
        }
    }
    let api = router.group("api/v1")
    api.get("health") { _, _ -> EditedResponse<HealthStatus> in
        let health = await control.health.check()
        return EditedResponse(status: health.status == "ok" ? .ok : .serviceUnavailable, response: health)
    }
    BarclampRoutes(barclamps: control.barclamps).register(on: api)
    NodeRoutes(nodes: control.nodes, install: control.install).register(on: api)
    ProposalRoutes(proposals: control.proposals).register(on: api)
    NetworkRoutes(networks: control.networks).register(on: api)
    EventRoutes(events: control.events).register(on: api)
    RunRoutes(runs: control.runs).register(on: api)
    BatchRoutes(batches: control.batches).register(on: api)
    PowerRoutes(power: control.power).register(on: api)
    TokenRoutes(tokens: control.tokens).register(on: api)
    api.get("boot") { _, _ in try await control.boot.status() }
    return router
}

extension Parameters {
    /// A path parameter that the route pattern guarantees, percent-decoded (the client encodes every segment).
    func path(_ name: String) throws -> String {
        let raw = try require(name)
        return raw.removingPercentEncoding ?? raw
    }
}

extension Request {
    /// Whether the query asks to show secrets (`?secrets=true`).
    var wantsSecrets: Bool { get throws { try flagQuery("secrets", default: false) } }

    /// A boolean query parameter: `true`/`1` and `false`/`0`, absent is `default`; anything else is a 400 naming it.
    func flagQuery(_ name: String, default value: Bool) throws -> Bool {
        switch uri.queryParameters[Substring(name)].map(String.init) {
        case nil: value
        case "true", "1": true
        case "false", "0": false
        default: throw APIError(.badRequest, "bad_request", "query parameter '\(name)' must be true or false", field: name)
        }
    }

    /// `limit`: absent is `default`, otherwise 1…1000 or a 400.
    func limitQuery(default value: Int) throws -> Int {
        let limit = try integerQuery("limit") ?? value
        guard (1...1000).contains(limit) else {
            throw APIError(.badRequest, "bad_request", "limit must be between 1 and 1000", field: "limit")
        }
        return limit
    }

    /// An integer query parameter, or a 400 naming it.
    func integerQuery(_ name: String) throws -> Int? {
        guard let text = uri.queryParameters[Substring(name)] else { return nil }
        guard let value = Int(String(text)) else {
            throw APIError(.badRequest, "bad_request", "query parameter '\(name)' must be an integer", field: name)
        }
        return value
    }
}

/// Lets model types be returned from handlers as JSON.
extension Barclamp: ResponseEncodable {}
extension Node: ResponseEncodable {}
extension Proposal: ResponseEncodable {}
extension ProposalRevision: ResponseEncodable {}
extension Plan: ResponseEncodable {}
extension Event: ResponseEncodable {}
extension BootStatus: ResponseEncodable {}
extension HealthStatus: ResponseEncodable {}

extension Request {
    /// Decodes the JSON body as `T`, letting a `DecodingError` through so the error
    /// middleware can name the field at fault.
    func decodeBody<T: Decodable>(_ type: T.Type, context: CrowbarRequestContext, limit: Int? = nil) async throws -> T {
        let buffer = try await body.collect(upTo: limit ?? context.maxUploadSize)
        return try JSONDecoder.crowbar.decode(T.self, from: Data(buffer: buffer))
    }

    /// The proposal version an `If-Match` header names (`"3"`, `W/"3"`), nil without one or for `*`; anything else is 400.
    func ifMatchVersion() throws -> Int? {
        guard let value = headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), value != "*" else { return nil }
        let bare = value.hasPrefix("W/") ? String(value.dropFirst(2)) : value
        guard bare.count > 2, bare.hasPrefix("\""), bare.hasSuffix("\""), let version = Int(bare.dropFirst().dropLast()) else {
            throw APIError(.badRequest, "bad_request", "If-Match must name one proposal version, as its ETag gives it (\"3\")", field: "If-Match")
        }
        return version
    }

    /// The body decoded as `T`, or `empty` when the request has none.
    func decodeOptionalBody<T: Decodable>(_ type: T.Type, context: CrowbarRequestContext, empty: T) async throws -> T {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { return empty }
        return try JSONDecoder.crowbar.decode(T.self, from: Data(buffer: buffer))
    }
}

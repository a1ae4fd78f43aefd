import CrowbarAPI
import CrowbarControl
import CrowbarCore
import CrowbarStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging

/// An in-process API over an in-memory database and the shipped barclamps.
struct APIHarness {
    static let token = "test-token"
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let database: CrowbarDatabase
    let control: Control

    init(powerDrivers: (any PowerDrivers)? = nil, install: InstallSettings? = nil) throws {
        let catalog = try BarclampDirectory.load(Self.repositoryRoot.appendingPathComponent("barclamps").path)
        database = try CrowbarDatabase.inMemory()
        control = Control(catalog: catalog, database: database, powerDrivers: powerDrivers, install: install)
    }

    func router() -> Router<CrowbarRequestContext> { buildRouter(control: control, token: Self.token) }

    /// Runs `body` against the router without sockets.
    func run(_ body: @Sendable (APIClient) async throws -> Void) async throws {
        let app = Application(router: router(), logger: Logger(label: "test"))
        try await app.test(.router) { client in try await body(APIClient(client: client)) }
    }
}

/// A thin wrapper that sends JSON with or without the token and returns status and body.
struct APIClient {
    let client: any TestClientProtocol

    struct Answer {
        var status: Int
        var body: String
        var etag: String?
        /// The `Link` header (RFC 8288), on a page that has a next one.
        var link: String?
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var list: [[String: Any]] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [[String: Any]] ?? [] }
    }

    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, token: String? = APIHarness.token, actor: String? = nil,
        ifMatch: String? = nil
    ) async throws -> Answer {
        var headers = HTTPFields()
        if let ifMatch { headers[.ifMatch] = ifMatch }
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let actor { headers.append(.init(name: .init("X-Crowbar-Actor")!, value: actor)) }
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(
            uri: "/api/v1/\(path)", method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }
        ) { response in Answer(
                status: Int(response.status.code), body: String(buffer: response.body), etag: response.headers[.eTag],
                link: response.headers[HTTPField.Name("Link")!])
        }
    }

    /// Registers a node with one MAC and returns its name.
    func discover(_ mac: String) async throws -> String {
        let answer = try await call(.post, "nodes/discover", #"{"macs": ["\#(mac)"], "inventory": {"cpuCount": 2, "memoryMB": 1024, "disks": []}}"#)
        return answer.json["name"] as? String ?? ""
    }
}

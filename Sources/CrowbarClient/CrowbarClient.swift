import AsyncHTTPClient
import CrowbarCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// The typed client of crowbard's REST API: one method per endpoint (in the `CrowbarClient+*.swift` files), on the
/// request and answer types the server itself encodes, with every path segment and query value percent-encoded.
/// Used by the `crowbar` CLI and the integration tests.
public struct CrowbarClient: Sendable {
    public let baseURL: String
    public let token: String?
    /// Who is asking, sent as `X-Crowbar-Actor` for the history of what this client changes.
    public let actor: String?
    private let http: HTTPClient
    private let timeout: TimeAmount

    /// A process-wide HTTP client that gives up connecting after 5 s, so an unreachable
    /// crowbard is reported quickly rather than after the whole request deadline.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// An HTTP client for `https://` URLs of a crowbard started with `--tls`: it trusts the certificate in
    /// `certificateFile` alone (crowbard's own, self-signed: the pin) and checks the host name against it. Made once
    /// per file and kept for the process's life, as the shared one is.
    public static func pinnedHTTPClient(certificateFile: String) throws -> HTTPClient {
        try pinnedClients.withLock { clients in
            if let client = clients[certificateFile] { return client }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificateFile))
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            configuration.timeout.connect = .seconds(5)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[certificateFile] = client
            return client
        }
    }

    private static let pinnedClients = Mutex<[String: HTTPClient]>([:])

    public init(
        baseURL: String, token: String?, actor: String? = nil, http: HTTPClient = sharedHTTPClient, timeout: TimeAmount = .seconds(60)
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.actor = actor
        self.http = http
        self.timeout = timeout
    }

    /// An endpoint below `/api/v1`: path segments (each percent-encoded on its own, so a `/` or `?` in a name stays
    /// inside its segment) and query items (absent values left out).
    struct Endpoint: Sendable {
        var segments: [String]
        var query: [(String, String?)] = []

        init(_ segments: String..., query: [(String, String?)] = []) {
            self.segments = segments
            self.query = query
        }

        private static let segmentCharacters = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/;"))
        private static let queryCharacters = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+?#"))

        /// `api/v1/seg/ments?key=value`, encoded.
        var path: String {
            let path = "api/v1/" + segments.map { $0.addingPercentEncoding(withAllowedCharacters: Self.segmentCharacters) ?? $0 }
                .joined(separator: "/")
            let items = query.compactMap { key, value in
                value.map { "\(key)=\($0.addingPercentEncoding(withAllowedCharacters: Self.queryCharacters) ?? $0)" }
            }
            return items.isEmpty ? path : path + "?" + items.joined(separator: "&")
        }
    }

    /// Sends a request and returns the body of a 2xx answer; any other answer, or none, throws ``ClientError``.
    func send(
        _ method: HTTPMethod, _ endpoint: Endpoint, body: (any Encodable & Sendable)? = nil, headers: [(String, String)] = [],
        timeout: TimeAmount? = nil
    ) async throws -> Data {
        try await exchange(method, endpoint, body: body, headers: headers, timeout: timeout).body
    }

    /// Sends a request and returns the body and headers of a 2xx answer; any other answer, or none, throws ``ClientError``.
    func exchange(
        _ method: HTTPMethod, _ endpoint: Endpoint, body: (any Encodable & Sendable)? = nil, headers: [(String, String)] = [],
        timeout: TimeAmount? = nil
    ) async throws -> (body: Data, headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: "\(baseURL)/\(endpoint.path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let actor { request.headers.add(name: "X-Crowbar-Actor", value: actor) }
        request.headers.add(contentsOf: headers)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder.crowbar.encode(body)))
        }
        let response: HTTPClientResponse
        var bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout ?? self.timeout)
            bytes = try await response.body.collect(upTo: 256 * 1024 * 1024)
        } catch {
            throw ClientError.unreachable(baseURL, error)
        }
        let data = Data(bytes.readBytes(length: bytes.readableBytes) ?? [])
        guard (200..<300).contains(response.status.code) else { throw ClientError(status: response.status, body: data) }
        return (data, response.headers)
    }

    /// Sends a request and decodes the answer as `T`.
    func send<T: Decodable>(
        _ method: HTTPMethod, _ endpoint: Endpoint, body: (any Encodable & Sendable)? = nil, headers: [(String, String)] = [],
        timeout: TimeAmount? = nil, as type: T.Type = T.self
    ) async throws -> T {
        try JSONDecoder.crowbar.decode(T.self, from: try await send(method, endpoint, body: body, headers: headers, timeout: timeout))
    }

    /// Reads a streamed answer line by line until the server ends it (at most `limit`).
    func streamLines(_ endpoint: Endpoint, limit: TimeAmount, onLine: (Data) async throws -> Void) async throws {
        var request = HTTPClientRequest(url: "\(baseURL)/\(endpoint.path)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: limit)
        } catch {
            throw ClientError.unreachable(baseURL, error)
        }
        guard (200..<300).contains(response.status.code) else {
            var bytes = try await response.body.collect(upTo: 1024 * 1024)
            throw ClientError(status: response.status, body: Data(bytes.readBytes(length: bytes.readableBytes) ?? []))
        }
        var pending = Data()
        var chunks = response.body.makeAsyncIterator()
        while true {
            let next: ByteBuffer?
            do {
                next = try await chunks.next()
            } catch {
                throw ClientError.unreachable(baseURL, error)  // crowbard went away mid-stream
            }
            guard let chunk = next else { break }
            pending.append(contentsOf: chunk.readableBytesView)
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[pending.index(after: newline)...])
                try await onLine(Data(line))
            }
        }
        if !pending.isEmpty { try await onLine(pending) }
    }
}

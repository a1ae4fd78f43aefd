import AsyncHTTPClient
import CrowbarCore
import Foundation
import NIOCore
import NIOHTTP1

/// A small client of crowbard's REST API, used by the `crowbar` CLI and the integration tests.
public struct CrowbarClient: Sendable {
    public let baseURL: String
    public let token: String?
    private let http: HTTPClient
    private let timeout: TimeAmount

    /// A process-wide HTTP client that gives up connecting after 5 s, so an unreachable
    /// crowbard is reported quickly rather than after the whole request deadline.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(baseURL: String, token: String?, http: HTTPClient = sharedHTTPClient, timeout: TimeAmount = .seconds(60)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.http = http
        self.timeout = timeout
    }

    /// Sends a request to `/api/v1/<path>` and returns the body of a 2xx answer.
    /// Any other answer, or none, throws ``ClientError``.
    public func request(_ method: HTTPMethod, _ path: String, body: (any Encodable & Sendable)? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: "\(baseURL)/api/v1/\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response: HTTPClientResponse
        var bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 256 * 1024 * 1024)
        } catch {
            throw ClientError(status: nil, body: APIErrorBody(error: "unreachable", detail: "cannot reach crowbard at \(baseURL): \(error)"))
        }
        let data = Data(bytes.readBytes(length: bytes.readableBytes) ?? [])
        guard (200..<300).contains(response.status.code) else {
            let body = (try? JSONDecoder().decode(APIErrorBody.self, from: data))
                ?? APIErrorBody(error: "http_\(response.status.code)", detail: "crowbard answered \(response.status)")
            throw ClientError(status: Int(response.status.code), body: body)
        }
        return data
    }

    /// Sends a request and decodes the answer as `T`.
    public func request<T: Decodable>(
        _ type: T.Type, _ method: HTTPMethod, _ path: String, body: (any Encodable & Sendable)? = nil
    ) async throws -> T {
        try JSONDecoder.crowbar.decode(T.self, from: try await request(method, path, body: body))
    }

    /// Reads a streamed answer of `/api/v1/<path>` line by line until the server ends it (at most `limit`).
    public func streamLines(_ path: String, limit: TimeAmount = .hours(12), onLine: (Data) async throws -> Void) async throws {
        var request = HTTPClientRequest(url: "\(baseURL)/api/v1/\(path)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: limit)
        } catch {
            throw ClientError(status: nil, body: APIErrorBody(error: "unreachable", detail: "cannot reach crowbard at \(baseURL): \(error)"))
        }
        guard (200..<300).contains(response.status.code) else {
            var bytes = try await response.body.collect(upTo: 1024 * 1024)
            let data = Data(bytes.readBytes(length: bytes.readableBytes) ?? [])
            let body = (try? JSONDecoder().decode(APIErrorBody.self, from: data))
                ?? APIErrorBody(error: "http_\(response.status.code)", detail: "crowbard answered \(response.status)")
            throw ClientError(status: Int(response.status.code), body: body)
        }
        var pending = Data()
        for try await chunk in response.body {
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

import CrowbarCore
import Foundation
import Hummingbird

extension Response {
    /// A `200 application/x-ndjson` stream: `produce` is handed a function that writes values, one JSON object per
    /// line, and the stream ends when `produce` returns.
    static func ndjson<Value: Encodable>(
        _ produce: @escaping @Sendable (_ deliver: ([Value]) async throws -> Void) async throws -> Void
    ) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                try await produce { values in
                    for value in values {
                        var data = try JSONEncoder.crowbar.encode(value)
                        data.append(0x0A)
                        try await writer.write(ByteBuffer(bytes: data))
                    }
                }
                try await writer.finish(nil)
            })
    }
}

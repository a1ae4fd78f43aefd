import CrowbarControl
import Foundation
import Hummingbird

/// Answers `GET /debian/Release.gpg` with crowbard's signature of the repository's `Release` as it is now, and
/// `/debian/InRelease` with 404, so apt checks the `Release` + `Release.gpg` pair against the key it was given: no
/// signature or InRelease file someone left in the repository folder is ever served.
struct RepositorySignatureMiddleware<Context: RequestContext>: RouterMiddleware {
    let repository: String
    let signer: RepositorySigner

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // apt asks for `/debian/./InRelease` (a flat repository's `./`): the path is compared without `.` and empty parts.
        let parts = request.uri.path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }.filter { $0 != "." }
        switch "/" + parts.joined(separator: "/") {
        case "/debian/Release.gpg" where request.method == .get:
            guard let release = FileManager.default.contents(atPath: repository + "/Release") else { return Response(status: .notFound) }
            let signature = signer.signature(of: release)
            return Response(
                status: .ok, headers: [.contentType: "application/pgp-signature"], body: .init(byteBuffer: ByteBuffer(string: signature)))
        case "/debian/Release.gpg", "/debian/InRelease":
            return Response(status: .notFound)
        default:
            return try await next(request, context)
        }
    }
}

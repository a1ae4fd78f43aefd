import Hummingbird
import Logging

/// The API's access log: one line per answered request with its method, path (without the query), status and time to
/// the answer's head, under the request's id (`hb.request.id`): info, notice for a refusal (4xx), error for a failure
/// (5xx). Streamed answers are logged when they start.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        let milliseconds = (ContinuousClock.now - started) / .milliseconds(1)
        let level: Logger.Level = response.status.code >= 500 ? .error : response.status.code >= 400 ? .notice : .info
        context.logger.log(
            level: level, "\(request.method) \(request.uri.path) \(response.status.code)",
            metadata: ["status": "\(response.status.code)", "ms": "\((milliseconds * 10).rounded() / 10)"])
        return response
    }
}

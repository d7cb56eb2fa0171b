import EdgeLedgerHTTP
import Hummingbird
import Logging
import NIOCore

/// Turns every error a handler throws into a response with a short plain-text reason: the API's
/// own failures as they are, Hummingbird's (not found, method not allowed, body too large) with
/// their status, and anything else as a generic 500 whose cause is only logged.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let failure as APIFailure {
            return failure.response
        } catch let error as HTTPError {
            var response = APIResponse.text(
                error.body ?? error.status.reasonPhrase.lowercased(), status: error.status)
            for field in error.headers where field.name != .contentType && field.name != .contentLength {
                response.headers.append(field)
            }
            return response
        } catch is NIOTooManyBytesError {
            return APIResponse.text("request body is too large", status: .contentTooLarge)
        } catch let error as any HTTPResponseError {
            return APIResponse.text(error.status.reasonPhrase.lowercased(), status: error.status)
        } catch {
            logger.error(
                "request failed",
                metadata: [
                    "method": "\(request.method)", "path": "\(request.uri.path.prefix(200))", "error": "\(error)",
                ])
            return APIFailure.internalError.response
        }
    }
}

/// Counts requests by endpoint and status, and times them.
struct APIMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: APIRequestMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.request(
            endpoint: context.endpointPath ?? "unknown", status: response.status.code,
            duration: ContinuousClock.now - start)
        return response
    }
}

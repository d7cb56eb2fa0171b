import EdgeLedgerCore
import EdgeLedgerHTTP
import EdgeLedgerSystem
import Hummingbird
import Logging
import NIOCore

/// The monitoring prefix's routes (C2SP tlog-mirror's read side, the tlog-tiles layout):
/// `GET <monitoring prefix>/<origin hash>/checkpoint`, `…/tile/<L>/<N>[.p/<W>]` and
/// `…/tile/entries/<N>[.p/<W>]`, answered by a ``CollectedLogServer``.
///
/// Reads need a `[[http.tokens]]` token or a client certificate unless
/// `http.allow_anonymous_read`; an unknown token is refused even then. Every answer says how
/// long it may be cached: full tiles and bundles `public, max-age=31536000, immutable`, the
/// checkpoint and partial ones `no-cache`, errors `no-store`. Bundles are sent gzip-encoded to
/// clients that accept it (`Vary: Accept-Encoding`).
public enum MonitoringAPI {
    /// What the routes serve and who may read.
    public struct Endpoint: Sendable {
        /// The logs.
        public var server: CollectedLogServer
        /// The monitoring prefix (e.g. `/logs`), without a trailing slash.
        public var prefix: String
        /// Who may read.
        public var authenticator: WitnessAuthenticator

        /// Creates the endpoint.
        public init(server: CollectedLogServer, prefix: String, authenticator: WitnessAuthenticator) {
            self.server = server
            self.prefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
            self.authenticator = authenticator
        }
    }

    /// Adds the routes under `endpoint.prefix` to `router`.
    ///
    /// - Parameter logBudget: limits the lines about server-side failures a client can trigger.
    public static func addRoutes<Routes: RouterMethods>(
        to router: Routes, endpoint: Endpoint, logBudget: LogBudget, logger: Logger
    ) where Routes.Context: LedgerRequestContextProtocol {
        let group = router.group(RouterPath(endpoint.prefix))
        let server = endpoint.server
        group.get(":origin/checkpoint") { request, context -> Response in
            if let refusal = await refusal(request, context, endpoint.authenticator) { return refusal }
            let hash = context.parameters.get("origin") ?? ""
            return await answer(logBudget: logBudget, logger: logger) {
                () async throws(LogServingError) -> ServedObject in
                try await server.checkpoint(originHash: hash)
            }
        }
        group.get(":origin/tile/**") { request, context -> Response in
            if let refusal = await refusal(request, context, endpoint.authenticator) { return refusal }
            let hash = context.parameters.get("origin") ?? ""
            let base = endpoint.prefix + "/" + hash + "/"
            let path = request.uri.path
            guard path.hasPrefix(base) else { return text(.notFound, "not found") }
            let relative = path.dropFirst(base.count)
            let gzip = Gzip.isAccepted(byAcceptEncoding: request.headers[.acceptEncoding])
            return await answer(logBudget: logBudget, logger: logger) {
                () async throws(LogServingError) -> ServedObject in
                try await server.tile(originHash: hash, path: relative, gzip: gzip)
            }
        }
    }

    /// 401 or 403 when the request may not read, else `nil`.
    static func refusal(
        _ request: Request, _ context: some LedgerRequestContextProtocol, _ authenticator: WitnessAuthenticator
    ) async -> Response? {
        let decision = authenticator.check(
            authorization: request.headers[.authorization],
            clientSubject: await WitnessAPI.clientSubject(request, context))
        switch decision {
        case .accepted: return nil
        case .missing:
            return text(
                .unauthorized, "a bearer token or a client certificate is required to read the collected logs",
                headers: [.wwwAuthenticate: "Bearer"])
        case .forbidden: return text(.forbidden, "unknown bearer token")
        }
    }

    static func answer(
        logBudget: LogBudget, logger: Logger, _ body: () async throws(LogServingError) -> ServedObject
    ) async -> Response {
        let object: ServedObject
        do {
            object = try await body()
        } catch {
            switch error.kind {
            case .badRequest: return text(.badRequest, error.message)
            case .notFound: return text(.notFound, error.message)
            case .busy:
                return text(.serviceUnavailable, error.message, headers: [.retryAfter: "1"])
            case .failed:
                logBudget.log(
                    .error, kind: "log read failed", "serving a collected log failed: \(error)", metadata: [:],
                    logger: logger)
                return text(.internalServerError, "internal error (logged by the upstream)")
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = object.contentType
        headers[.contentLength] = String(object.body.count)
        headers[.cacheControl] = object.cacheControl
        headers[.xContentTypeOptions] = "nosniff"
        if object.kind == .bundle { headers[.vary] = "Accept-Encoding" }
        if let encoding = object.contentEncoding { headers[.contentEncoding] = encoding }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: object.body)))
    }

    static func text(_ status: HTTPResponse.Status, _ body: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body + "\n")))
    }
}

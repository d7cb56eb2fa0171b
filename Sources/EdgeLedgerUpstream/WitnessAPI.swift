import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerSystem
import Hummingbird
import Logging
import Prometheus

/// The reference upstream's HTTP routes: C2SP tlog-witness `POST <prefix>/add-checkpoint`, the
/// mirror's `POST <prefix>/mirror/add-checkpoint` and `.../add-entries` (``MirrorAPI``) when given,
/// `GET <prefix>/healthz`, with a status `GET <prefix>/readyz` (anonymous, 200 `ready` or 503
/// `not ready` and one problem per line, as the agent's) and, with a metrics endpoint,
/// `GET <prefix>/metrics`.
public enum WitnessAPI {
    /// `GET <prefix>/metrics`: the Prometheus registry to print and who may read it.
    public struct MetricsEndpoint: Sendable {
        /// The registry printed as Prometheus text.
        public var registry: PrometheusCollectorRegistry
        /// Who may read it: `metrics.allow_anonymous` and the `[[http.tokens]]`.
        public var authenticator: WitnessAuthenticator

        /// Creates the endpoint.
        public init(registry: PrometheusCollectorRegistry, authenticator: WitnessAuthenticator) {
            self.registry = registry
            self.authenticator = authenticator
        }
    }

    /// Adds the routes to `router` (use `router.group(prefix)` for a prefix).
    ///
    /// - Parameters:
    ///   - maxBodyBytes: larger request bodies are refused with 413.
    ///   - metrics: serves `GET metrics` when given.
    ///   - status: answers `GET readyz` when given.
    ///   - onResult: called with every `add-checkpoint` answer (for metrics).
    ///   - logBudget: limits the warnings about refused checkpoints, which anyone can trigger
    ///     (a budget of its own when `nil`).
    public static func addRoutes<Routes: RouterMethods>(
        to router: Routes, witness: Witness, authenticator: WitnessAuthenticator = .anonymous,
        maxBodyBytes: Int = 65_536, metrics: MetricsEndpoint? = nil, status: (any LedgerAPIStatus)? = nil,
        onResult: (@Sendable (WitnessResponse) -> Void)? = nil, logBudget: LogBudget? = nil,
        admin: AdminAPI.Endpoint? = nil, mirror: MirrorAPI.Endpoint? = nil, logger: Logger
    ) where Routes.Context: LedgerRequestContextProtocol {
        let logBudget = logBudget ?? LogBudget(logger: logger)
        if let mirror {
            MirrorAPI.addRoutes(
                to: router, mirror: mirror.mirror, authenticator: mirror.authenticator,
                maxCheckpointBytes: maxBodyBytes,
                onResult: mirror.onResult, logger: logger)
        }
        if let admin, !admin.clients.isEmpty {
            AdminAPI.addRoutes(to: router, endpoint: admin, maxBodyBytes: maxBodyBytes, logger: logger)
        }
        router.post("add-checkpoint") { request, context -> Response in
            let decision = authenticator.check(
                authorization: request.headers[.authorization], clientSubject: await clientSubject(request, context))
            let client: WitnessClient?
            switch decision {
            case .accepted(let who): client = who
            case .missing:
                return text(.unauthorized, "a bearer token is required", headers: [.wwwAuthenticate: "Bearer"])
            case .forbidden:
                return text(.forbidden, "unknown bearer token")
            }
            var request = request
            let buffer = try await request.collectBody(upTo: maxBodyBytes)
            let result = await witness.addCheckpoint(body: Array(buffer: buffer), client: client)
            log(result, budget: logBudget, logger: logger)
            onResult?(result)
            return Response(
                status: .init(code: result.status), headers: [.contentType: result.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(string: result.body)))
        }
        router.get("healthz") { _, _ -> Response in text(.ok, "ok") }
        if let status {
            router.get("readyz") { _, _ -> Response in
                let readiness = await status.readiness()
                if readiness.isReady { return text(.ok, "ready") }
                return text(.serviceUnavailable, (["not ready"] + readiness.problems).joined(separator: "\n"))
            }
        }
        if let metrics {
            router.get("metrics") { request, context -> Response in
                let decision = metrics.authenticator.check(
                    authorization: request.headers[.authorization], clientSubject: await clientSubject(request, context)
                )
                switch decision {
                case .accepted: break
                case .missing:
                    return text(
                        .unauthorized, "a bearer token is required (or set metrics.allow_anonymous = true)",
                        headers: [.wwwAuthenticate: "Bearer"])
                case .forbidden:
                    return text(.forbidden, "unknown bearer token")
                }
                var buffer: [UInt8] = []
                buffer.reserveCapacity(8_192)
                metrics.registry.emit(into: &buffer)
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
            }
        }
    }

    /// A Hummingbird router with the witness routes under `prefix` (e.g. `""` or `"/witness"`),
    /// and with `logs`, the collected logs under its monitoring prefix (``MonitoringAPI``).
    /// `HEAD` is answered for every `GET` route.
    public static func router(
        prefix: String, witness: Witness, authenticator: WitnessAuthenticator = .anonymous,
        maxBodyBytes: Int = 65_536, metrics: MetricsEndpoint? = nil, status: (any LedgerAPIStatus)? = nil,
        onResult: (@Sendable (WitnessResponse) -> Void)? = nil, logBudget: LogBudget? = nil,
        admin: AdminAPI.Endpoint? = nil, logs: MonitoringAPI.Endpoint? = nil, mirror: MirrorAPI.Endpoint? = nil,
        logger: Logger
    ) -> Router<LedgerRequestContext> {
        let router = Router(context: LedgerRequestContext.self, options: [.autoGenerateHeadEndpoints])
        let logBudget = logBudget ?? LogBudget(logger: logger)
        if let logs { MonitoringAPI.addRoutes(to: router, endpoint: logs, logBudget: logBudget, logger: logger) }
        let trimmed = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        if trimmed.isEmpty {
            addRoutes(
                to: router, witness: witness, authenticator: authenticator, maxBodyBytes: maxBodyBytes,
                metrics: metrics, status: status, onResult: onResult, logBudget: logBudget, admin: admin,
                mirror: mirror, logger: logger)
        } else {
            addRoutes(
                to: router.group(RouterPath(trimmed)), witness: witness, authenticator: authenticator,
                maxBodyBytes: maxBodyBytes, metrics: metrics, status: status, onResult: onResult,
                logBudget: logBudget, admin: admin, mirror: mirror, logger: logger)
        }
        return router
    }

    /// The subject components of the connection's client certificate, asked only when the
    /// request has no `Authorization` header (a certificate with an unreadable subject is still
    /// one the TLS handshake accepted: no components, which match no `witness_clients` entry).
    static func clientSubject(
        _ request: Request, _ context: some LedgerRequestContextProtocol
    ) async
        -> [String]?
    {
        guard request.headers[.authorization] == nil, let der = await context.peerCertificateDER() else { return nil }
        return CertificateSubject.components(certificateDER: der) ?? []
    }

    private static func text(_ status: HTTPResponse.Status, _ body: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body + "\n")))
    }

    private static func log(_ result: WitnessResponse, budget: LogBudget, logger: Logger) {
        var metadata: Logger.Metadata = ["status": "\(result.status)", "outcome": "\(result.outcome.rawValue)"]
        if let origin = result.origin { metadata["origin"] = "\(origin)" }
        if let size = result.size { metadata["size"] = "\(size)" }
        switch result.outcome {
        case .cosigned:
            logger.info("cosigned checkpoint", metadata: metadata)
        case .conflict:
            logger.notice("add-checkpoint conflict: \(result.message)", metadata: metadata)
        case .internalError:
            logger.error("add-checkpoint failed: \(result.message)", metadata: metadata)
        case .forked:
            logger.error("FORK ALARM: \(result.message)", metadata: metadata)
        case .notCollected:
            logger.info("add-checkpoint deferred: \(result.message)", metadata: metadata)
        case .malformed, .badSignature, .unknownLog, .badProof, .clientNotAllowed:
            budget.log(
                .warning, kind: "refused checkpoint", "add-checkpoint refused: \(result.message)", metadata: metadata,
                logger: logger)
        }
    }
}

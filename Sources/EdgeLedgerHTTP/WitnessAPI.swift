import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerSystem
import Hummingbird
import Logging
import Prometheus

/// Who may use the reference upstream's witness endpoint (`[http]` of upstream.toml): a bearer
/// token, or a client certificate (mutual TLS).
///
/// Tokens are kept as SHA-256 digests and compared in constant time. A client certificate was
/// already checked against `http.tls.client_ca_file` in the TLS handshake, so a connection that
/// presented one is authenticated by it (as its subject) when the request carries no
/// `Authorization` header. With `allow_anonymous` (the default: C2SP witnesses authenticate every
/// checkpoint by its signature) any request passes; otherwise a request without either gets 401
/// and one with an unknown token 403 (also when it came with a certificate).
public struct WitnessAuthenticator: Sendable {
    /// Whether requests without a token are accepted.
    public var allowAnonymous: Bool
    private var tokens: [(name: String, digest: [UInt8])]

    /// Accepts everything.
    public static let anonymous = WitnessAuthenticator(allowAnonymous: true, tokens: [])

    /// From the configured tokens; plaintext ones (`token_env`) are hashed here.
    public init(allowAnonymous: Bool, tokens: [HTTPTokenConfiguration]) {
        self.allowAnonymous = allowAnonymous
        self.tokens = tokens.compactMap { token in
            switch token.credential {
            case .sha256Hex(let hex): Hex.decode(hex).map { (token.name, $0) }
            case .plaintext(let secret): (token.name, OpenSSLHasher.sha256.hash(Array(secret.value.utf8)).bytes)
            }
        }
    }

    /// The decision for a request with the `Authorization` header value `header`.
    public enum Decision: Sendable, Equatable {
        /// Accepted; the token's name or the certificate's subject, or `nil` when anonymous.
        case accepted(String?)
        /// 401: a token is required.
        case missing
        /// 403: the token is not known.
        case forbidden
    }

    /// Checks an `Authorization` header value, and without one the subject of the connection's
    /// client certificate (`nil` when there is none).
    public func check(authorization header: String?, clientSubject: String? = nil) -> Decision {
        guard let header, header.hasPrefix("Bearer "), header.count > 7 else {
            if let clientSubject { return .accepted(clientSubject) }
            return allowAnonymous ? .accepted(nil) : .missing
        }
        let digest = OpenSSLHasher.sha256.hash(Array(header.utf8.dropFirst(7))).bytes
        var match: String? = nil
        for token in tokens where token.digest.count == digest.count {
            var diff: UInt8 = 0
            for i in 0..<digest.count { diff |= digest[i] ^ token.digest[i] }
            if diff == 0 && match == nil { match = token.name }
        }
        if let match { return .accepted(match) }
        return allowAnonymous ? .accepted(nil) : .forbidden
    }
}

/// The reference upstream's HTTP routes: C2SP tlog-witness `POST <prefix>/add-checkpoint`,
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
        onResult: (@Sendable (WitnessResponse) -> Void)? = nil, logBudget: LogBudget? = nil, logger: Logger
    ) where Routes.Context: LedgerRequestContextProtocol {
        let logBudget = logBudget ?? LogBudget(logger: logger)
        router.post("add-checkpoint") { request, context -> Response in
            let decision = authenticator.check(
                authorization: request.headers[.authorization], clientSubject: await clientSubject(request, context))
            switch decision {
            case .accepted: break
            case .missing:
                return text(.unauthorized, "a bearer token is required", headers: [.wwwAuthenticate: "Bearer"])
            case .forbidden:
                return text(.forbidden, "unknown bearer token")
            }
            var request = request
            let buffer = try await request.collectBody(upTo: maxBodyBytes)
            let result = witness.addCheckpoint(body: Array(buffer: buffer))
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

    /// A Hummingbird router with the witness routes under `prefix` (e.g. `""` or `"/witness"`).
    public static func router(
        prefix: String, witness: Witness, authenticator: WitnessAuthenticator = .anonymous,
        maxBodyBytes: Int = 65_536, metrics: MetricsEndpoint? = nil, status: (any LedgerAPIStatus)? = nil,
        onResult: (@Sendable (WitnessResponse) -> Void)? = nil, logBudget: LogBudget? = nil, logger: Logger
    ) -> Router<LedgerRequestContext> {
        let router = Router(context: LedgerRequestContext.self)
        let trimmed = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        if trimmed.isEmpty {
            addRoutes(
                to: router, witness: witness, authenticator: authenticator, maxBodyBytes: maxBodyBytes,
                metrics: metrics, status: status, onResult: onResult, logBudget: logBudget, logger: logger)
        } else {
            addRoutes(
                to: router.group(RouterPath(trimmed)), witness: witness, authenticator: authenticator,
                maxBodyBytes: maxBodyBytes, metrics: metrics, status: status, onResult: onResult,
                logBudget: logBudget, logger: logger)
        }
        return router
    }

    /// The subject of the connection's client certificate, asked only when the request has no
    /// `Authorization` header (a certificate with an unreadable subject is still one the TLS
    /// handshake accepted).
    private static func clientSubject(_ request: Request, _ context: some LedgerRequestContextProtocol) async -> String?
    {
        guard request.headers[.authorization] == nil, let der = await context.peerCertificateDER() else { return nil }
        return CertificateSubject.string(certificateDER: der) ?? "a client certificate"
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
        case .malformed, .badSignature, .unknownLog, .badProof:
            budget.log(
                .warning, kind: "refused checkpoint", "add-checkpoint refused: \(result.message)", metadata: metadata,
                logger: logger)
        }
    }
}

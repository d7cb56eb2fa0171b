import EdgeLedgerCore
import EdgeLedgerHTTP
import Hummingbird
import Logging

/// The mirror's HTTP routes (C2SP tlog-mirror, submission prefix `<http.prefix>/mirror`):
/// `POST mirror/add-checkpoint` and `POST mirror/add-entries`. Both need a client authenticated
/// by a `[[http.tokens]]` token or a client certificate, allowed for the origin by the gateway's
/// `witness_clients` (never anonymous, whatever `http.allow_anonymous` says).
public enum MirrorAPI {
    /// The mirror, who may use it, and who is told each answer.
    public struct Endpoint: Sendable {
        /// The mirror.
        public var mirror: Mirror
        /// The listener's tokens and certificates (anonymous requests are refused).
        public var authenticator: WitnessAuthenticator
        /// Called with the endpoint (`add-checkpoint`, `add-entries`) and every answer.
        public var onResult: (@Sendable (String, MirrorResponse) -> Void)?

        /// Creates the endpoint; the authenticator never lets anonymous requests through.
        public init(
            mirror: Mirror, http: UpstreamHTTPConfiguration,
            onResult: (@Sendable (String, MirrorResponse) -> Void)? = nil
        ) {
            self.mirror = mirror
            self.authenticator = WitnessAuthenticator(allowAnonymous: false, tokens: http.tokens)
            self.onResult = onResult
        }
    }

    /// Adds the routes under `mirror/` to `router`.
    ///
    /// - Parameters:
    ///   - authenticator: the listener's tokens (anonymous requests are refused here).
    ///   - maxCheckpointBytes: larger `add-checkpoint` bodies are refused with 413.
    ///   - onResult: called with every answer and its endpoint (for metrics).
    public static func addRoutes<Routes: RouterMethods>(
        to router: Routes, mirror: Mirror, authenticator: WitnessAuthenticator, maxCheckpointBytes: Int = 65_536,
        onResult: (@Sendable (String, MirrorResponse) -> Void)? = nil, logger: Logger
    ) where Routes.Context: LedgerRequestContextProtocol {
        let group = router.group("mirror")
        group.post("add-checkpoint") { request, context -> Response in
            let client: WitnessClient
            switch await authenticate(request, context, authenticator) {
            case .failure(let refusal): return refusal.response
            case .success(let who): client = who
            }
            var request = request
            let buffer = try await request.collectBody(upTo: maxCheckpointBytes)
            let result = await mirror.addCheckpoint(body: Array(buffer: buffer), client: client)
            return answer(result, endpoint: "add-checkpoint", onResult: onResult, logger: logger)
        }
        group.post("add-entries") { request, context -> Response in
            let client: WitnessClient
            switch await authenticate(request, context, authenticator) {
            case .failure(let refusal): return refusal.response
            case .success(let who): client = who
            }
            let encoding = request.headers[.contentEncoding]?.lowercased()
            guard encoding == nil || encoding == "gzip" || encoding == "identity" else {
                return Response(
                    status: .unsupportedMediaType, headers: [.acceptEncoding: "gzip"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: "Content-Encoding must be gzip or absent\n")))
            }
            let result = await mirror.addEntries(body: request.body, gzip: encoding == "gzip", client: client)
            return answer(result, endpoint: "add-entries", onResult: onResult, logger: logger)
        }
    }

    private struct Refusal: Error {
        var response: Response
    }

    private static func authenticate(
        _ request: Request, _ context: some LedgerRequestContextProtocol, _ authenticator: WitnessAuthenticator
    ) async -> Result<WitnessClient, Refusal> {
        let decision = authenticator.check(
            authorization: request.headers[.authorization],
            clientSubject: await WitnessAPI.clientSubject(request, context))
        switch decision {
        case .accepted(let client?): return .success(client)
        case .accepted(nil), .missing:
            return .failure(
                Refusal(
                    response: text(
                        .unauthorized, "the mirror needs a bearer token or a client certificate",
                        headers: [.wwwAuthenticate: "Bearer"])))
        case .forbidden:
            return .failure(Refusal(response: text(.forbidden, "unknown bearer token")))
        }
    }

    private static func answer(
        _ result: MirrorResponse, endpoint: String, onResult: (@Sendable (String, MirrorResponse) -> Void)?,
        logger: Logger
    ) -> Response {
        onResult?(endpoint, result)
        var metadata: Logger.Metadata = [
            "endpoint": "\(endpoint)", "status": "\(result.status)", "outcome": "\(result.outcome.rawValue)",
        ]
        if let origin = result.origin { metadata["origin"] = "\(origin)" }
        if result.storedEntries > 0 { metadata["stored"] = "\(result.storedEntries)" }
        switch result.outcome {
        case .recorded, .committed, .accepted: logger.info("mirror: \(result.message)", metadata: metadata)
        case .forked, .internalError: logger.error("mirror: \(result.message)", metadata: metadata)
        default: logger.notice("mirror refused: \(result.message)", metadata: metadata)
        }
        var headers: HTTPFields = [.contentType: result.contentType]
        if endpoint == "add-entries" { headers[.acceptEncoding] = "gzip" }
        return Response(
            status: .init(code: result.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: result.body)))
    }

    private static func text(_ status: HTTPResponse.Status, _ body: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body + "\n")))
    }
}

import EdgeLedgerCore
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The upstream's admin API: the gateway registry over HTTP, what `edge-ledger-upstream gateways`
/// does on the command line (every instance serves it; the registry lives in the store).
///
/// Only clients named in `http.admin_clients` (a `[[http.tokens]]` name or a certificate subject)
/// get in, never anonymous ones; without `admin_clients` the routes do not exist. Gateways are
/// named by the `origin` query parameter (origins contain `/`).
///
/// - `GET  <prefix>/admin/gateways` — every enrolled gateway, JSON.
/// - `GET  <prefix>/admin/gateways/show?origin=O` — one gateway's `[[gateways]]` entry (TOML).
/// - `POST <prefix>/admin/gateways[?mode=pull|push][&update=true]` — enroll the `[[gateways]]`
///   entry in the body (what `edge-ledger enroll` prints): 201, 200 unchanged, 409 already
///   enrolled, 422 invalid settings.
/// - `POST <prefix>/admin/gateways/disable?origin=O`, `…/enable?origin=O`.
/// - `POST <prefix>/admin/gateways/rotate-key?origin=O` — body: lines `add KEY` / `remove KEY`.
public enum AdminAPI {
    /// Who may use the API, and the store it changes.
    public struct Endpoint: Sendable {
        let store: CollectorStore
        let authenticator: WitnessAuthenticator
        let clients: [String]

        /// The admin API over `store` for the clients `http.admin_clients` names.
        public init(store: CollectorStore, http: UpstreamHTTPConfiguration) {
            self.store = store
            self.authenticator = WitnessAuthenticator(allowAnonymous: false, tokens: http.tokens)
            self.clients = http.adminClients
        }
    }

    static func addRoutes<Routes: RouterMethods>(
        to router: Routes, endpoint: Endpoint, maxBodyBytes: Int, logger: Logger
    ) where Routes.Context: LedgerRequestContextProtocol {
        let admin = router.group("admin/gateways")
        admin.get("") { request, context in
            try await guarded(request, context, endpoint, logger) { _ in try await list(endpoint.store) }
        }
        admin.get("show") { request, context in
            try await guarded(request, context, endpoint, logger) { _ in
                let origin = try originParameter(request)
                guard let entry = try await endpoint.store.registeredGateway(origin: origin) else {
                    return text(.notFound, "no gateway \(origin) is enrolled")
                }
                return text(.ok, "[[gateways]]\n" + entry.configuration.toml, type: "application/toml")
            }
        }
        admin.post("") { request, context in
            try await guarded(request, context, endpoint, logger) { who in
                var request = request
                let body = String(
                    decoding: Array(buffer: try await request.collectBody(upTo: maxBodyBytes)), as: UTF8.self)
                let query = request.uri.queryParameters
                var overrides: [String: ConfigValue] = [:]
                if let mode = query["mode"].map(String.init) {
                    guard RegisteredGateway.Mode(rawValue: mode) != nil else {
                        return text(.badRequest, "mode must be pull or push")
                    }
                    overrides["mode"] = .string(mode)
                }
                let gateway: GatewayConfiguration
                do {
                    let entries = try ConfigLoader.parseGateways(
                        toml: body, overrides: overrides, environment: ConfigLoader.processEnvironment)
                    guard entries.count == 1, let entry = entries.first else {
                        return text(.unprocessableContent, "expected one [[gateways]] entry, got \(entries.count)")
                    }
                    gateway = entry
                } catch {
                    return text(.unprocessableContent, "the gateway's settings are not valid:\n\(error)")
                }
                let (entry, changed) = try await endpoint.store.enroll(gateway, update: query["update"] == "true")
                logger.notice(
                    "gateway enrolled through the admin API",
                    metadata: ["gateway": "\(entry.origin)", "by": "\(who)", "changed": "\(changed)"])
                return text(
                    changed ? .created : .ok, changed ? "enrolled \(entry.origin) (id \(entry.id))" : "unchanged")
            }
        }
        for (action, enabled) in [("disable", false), ("enable", true)] {
            admin.post(RouterPath(action)) { request, context in
                try await guarded(request, context, endpoint, logger) { who in
                    let origin = try originParameter(request)
                    try await endpoint.store.setEnabled(origin: origin, enabled)
                    logger.notice(
                        "gateway \(action)d through the admin API", metadata: ["gateway": "\(origin)", "by": "\(who)"])
                    return text(.ok, "\(action)d \(origin)")
                }
            }
        }
        admin.post("rotate-key") { request, context in
            try await guarded(request, context, endpoint, logger) { who in
                let origin = try originParameter(request)
                var request = request
                let body = String(
                    decoding: Array(buffer: try await request.collectBody(upTo: maxBodyBytes)), as: UTF8.self)
                var add: [String] = []
                var remove: [String] = []
                for line in body.split(whereSeparator: \.isNewline) where !line.isEmpty {
                    let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
                    guard parts.count == 2, parts[0] == "add" || parts[0] == "remove" else {
                        return text(.badRequest, "each line must be `add KEY` or `remove KEY`")
                    }
                    if parts[0] == "add" { add.append(parts[1]) } else { remove.append(parts[1]) }
                }
                guard !add.isEmpty || !remove.isEmpty else { return text(.badRequest, "no key to add or remove") }
                let entry: RegisteredGateway
                do {
                    entry = try await endpoint.store.rotateKeys(origin: origin, add: add, remove: remove)
                } catch let error as ConfigError {
                    return text(.unprocessableContent, "\(error)")
                }
                logger.notice(
                    "gateway keys rotated through the admin API", metadata: ["gateway": "\(origin)", "by": "\(who)"])
                return text(.ok, entry.configuration.verifierKeys.joined(separator: "\n"))
            }
        }
    }

    /// Authenticates the request as an admin client, runs `body`, and turns store errors into
    /// answers (409 conflict, 404 not enrolled, 503 store unavailable).
    private static func guarded(
        _ request: Request, _ context: some LedgerRequestContextProtocol, _ endpoint: Endpoint, _ logger: Logger,
        _ body: (WitnessClient) async throws -> Response
    ) async throws -> Response {
        let subject = await WitnessAPI.clientSubject(request, context)
        let who: WitnessClient
        switch endpoint.authenticator.check(authorization: request.headers[.authorization], clientSubject: subject) {
        case .accepted(let client?) where endpoint.clients.contains(where: client.matches): who = client
        case .missing: return text(.unauthorized, "an admin token is required", headers: [.wwwAuthenticate: "Bearer"])
        default: return text(.forbidden, "not an admin client (http.admin_clients)")
        }
        do {
            return try await body(who)
        } catch let error as StoreError {
            switch error.kind {
            case .conflict, .wrongHashAlgorithm: return text(.conflict, error.description)
            case .outOfRange: return text(.notFound, error.description)
            case .unavailable: return text(.serviceUnavailable, error.description)
            default:
                logger.error("admin API: \(error)")
                return text(.internalServerError, error.description)
            }
        } catch let error as AdminRequestError {
            return text(.badRequest, error.message)
        }
    }

    private static func list(_ store: CollectorStore) async throws -> Response {
        let entries = try await store.registeredGateways()
        let states = Dictionary(
            try await store.gatewayStates().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let items = entries.map { entry -> String in
            let state = states[entry.id]
            return JSONWriter.object([
                ("origin", JSONWriter.string(entry.origin)), ("mode", JSONWriter.string(entry.mode.rawValue)),
                ("enabled", entry.enabled ? "true" : "false"), ("revision", String(entry.revision)),
                ("url", JSONWriter.string(entry.configuration.url)),
                (
                    "verifier_keys",
                    "[" + entry.configuration.verifierKeys.map { JSONWriter.string($0) }.joined(separator: ",") + "]"
                ),
                ("verified_size", String(state?.verifiedSize ?? 0)), ("acked_size", String(state?.ackedSize ?? 0)),
                ("collected_by", state?.lease.map { JSONWriter.string($0.holder) } ?? "null"),
            ])
        }
        return text(.ok, "{\"gateways\":[" + items.joined(separator: ",") + "]}", type: "application/json")
    }

    private static func originParameter(_ request: Request) throws -> String {
        guard let origin = request.uri.queryParameters["origin"], !origin.isEmpty, origin.utf8.count <= 1024 else {
            throw AdminRequestError(message: "the origin query parameter is required (…?origin=plant.example/gw-1)")
        }
        return String(origin)
    }

    private static func text(
        _ status: HTTPResponse.Status, _ body: String, type: String = "text/plain; charset=utf-8",
        headers: HTTPFields = [:]
    ) -> Response {
        var headers = headers
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body + "\n")))
    }
}

/// A malformed admin request (400).
struct AdminRequestError: Error {
    var message: String
}

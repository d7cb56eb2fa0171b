import EdgeLedgerCore
import EdgeLedgerHTTP
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Metrics
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The reference upstream's HTTP server as a `Service`: ``WitnessAPI`` on `[http].listen`,
/// with TLS (and mutual TLS) as `[http.tls]` says, and the agent's connection defences
/// (``ConnectionGuard``): header and body deadlines, a cap per client address, a global cap
/// sized below half the descriptor limit (so the collectors keep theirs), and reserved
/// connections for health and metrics.
public struct WitnessService: Service, CustomStringConvertible {
    /// The Hummingbird application (run it through ``run()``, or test it with
    /// HummingbirdTesting's `application.test(.live)`).
    public let application: Application<RouterResponder<LedgerRequestContext>>
    /// Admits connections and enforces the header and body deadlines.
    public let connections: ConnectionGuard

    /// Serves `witness` as `http` configures.
    ///
    /// - Parameters:
    ///   - metrics: serves `<prefix>/metrics` when given (see ``WitnessAPI/MetricsEndpoint``).
    ///   - status: answers `<prefix>/readyz` when given.
    ///   - onResult: called with every `add-checkpoint` answer.
    ///   - metricsFactory: where the connection counters go (the bootstrapped `MetricsSystem`
    ///     when `nil`).
    ///   - admin: serves the admin API (``AdminAPI``) when given and `http.admin_clients` is set.
    ///   - logs: serves the collected logs as tlog-tiles under `http.monitoring_prefix` when given
    ///     (``MonitoringAPI``; readers as `http.allow_anonymous_read` says).
    ///   - mirror: serves the tlog-mirror routes under `<prefix>/mirror` when given.
    ///   - onServerRunning: called once the server listens, with the bound port.
    /// - Throws: ``UpstreamError`` when the TLS files cannot be read or used.
    public init(
        witness: Witness, http: UpstreamHTTPConfiguration, metrics: WitnessAPI.MetricsEndpoint? = nil,
        status: (any LedgerAPIStatus)? = nil, onResult: (@Sendable (WitnessResponse) -> Void)? = nil,
        metricsFactory: (any MetricsFactory)? = nil, admin: AdminAPI.Endpoint? = nil, logs: CollectedLogServer? = nil,
        mirror: MirrorAPI.Endpoint? = nil, logger: Logger = Logger(label: "edge-ledger.witness"),
        onServerRunning: (@Sendable (Int) async -> Void)? = nil
    ) throws(UpstreamError) {
        let limits = ConnectionGuard.fitting(
            ConnectionGuard.Limits(http.limits, requestTimeout: http.requestTimeout, prefix: http.prefix),
            logger: logger, listener: "witness")
        let connections = ConnectionGuard(limits: limits, listener: "witness", metricsFactory: metricsFactory)
        let http1 = connections.http1(idleTimeout: http.requestTimeout, logger: logger)
        let server: HTTPServerBuilder
        if let tls = http.tls {
            let configuration: TLSConfiguration
            do {
                configuration = try HTTPServerTLS.configuration(tls)
            } catch {
                throw UpstreamError(error.message, hint: error.hint)
            }
            do {
                server = try .tls(http1, tlsConfiguration: configuration)
            } catch {
                throw UpstreamError("http.tls: cannot set up TLS for the witness: \(error)")
            }
        } else {
            server = http1
        }
        let authenticator = WitnessAuthenticator(allowAnonymous: http.allowAnonymous, tokens: http.tokens)
        let router = WitnessAPI.router(
            prefix: http.prefix, witness: witness, authenticator: authenticator, maxBodyBytes: http.maxBodyBytes,
            metrics: metrics, status: status, onResult: onResult, admin: admin,
            logs: logs.map {
                MonitoringAPI.Endpoint(
                    server: $0, prefix: http.logsPrefix,
                    authenticator: WitnessAuthenticator(allowAnonymous: http.allowAnonymousRead, tokens: http.tokens))
            }, mirror: mirror, logger: logger)
        let scheme = http.tls == nil ? "http" : "https"
        let address = http.listen
        let name = witness.name
        let key = witness.verifierKey.string
        self.connections = connections
        self.application = Application(
            router: router, server: server,
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: Int(address.port))),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? Int(address.port)
                logger.info(
                    "witness listening",
                    metadata: [
                        "address":
                            "\(scheme)://\(HostPort(host: address.host, port: UInt16(clamping: port)))\(http.prefix)/add-checkpoint",
                        "name": "\(name)", "verifier_key": "\(key)",
                    ])
                await onServerRunning?(port)
            },
            logger: logger)
    }

    /// Serves until graceful shutdown or cancellation.
    public func run() async throws {
        try await application.run()
    }

    public var description: String { "WitnessService" }
}

import EdgeLedgerCore
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Metrics
import NIOCore
import NIOSSL
import Prometheus
import ServiceLifecycle

/// The agent's HTTP API as a swift-service-lifecycle `Service`: a Hummingbird server on
/// `http.listen`, with TLS (and mutual TLS) as `[http.tls]` says, serving a ``LedgerAPI``.
///
/// ```swift
/// let api = try LedgerAPIService(
///     http: config.http, metrics: config.metrics, upstreams: config.upstreams,
///     storePath: store.path, hasher: hasher, acknowledger: store, status: agentStatus,
///     registry: prometheusRegistry, logger: logger)
/// let group = ServiceGroup(services: [ingest, sealer, api, ...], logger: logger)
/// ```
///
/// Slow clients cannot starve the others (``ConnectionGuard``): a request head must be complete
/// within `http.header_timeout` of the accept and its body within `http.request_timeout` of the
/// head (total deadlines, not idle timers); a client address holds at most
/// `http.max_connections_per_client` connections; beyond `http.max_connections` a few reserved
/// connections still serve `/healthz`, `/readyz` and `/metrics`. Connections are never left
/// waiting in the listen backlog.
public struct LedgerAPIService: Service, CustomStringConvertible {
    /// `FD_SETSIZE`: the first descriptor number libmosquitto's `select()` cannot wait on.
    static let selectLimit = 1024

    /// The API being served.
    public let api: LedgerAPI
    /// The Hummingbird application; run it through ``run()`` (or test it with
    /// HummingbirdTesting's `application.test(.live)`).
    public let application: Application<RouterResponder<LedgerRequestContext>>
    /// Admits connections and enforces the header and body deadlines.
    public let connections: ConnectionGuard

    /// Serves `api` as `http` configures: listen address, TLS, deadlines and connection caps.
    ///
    /// - Parameters:
    ///   - metricsFactory: where the connection counters go (the bootstrapped `MetricsSystem`
    ///     when `nil`).
    ///   - onServerRunning: called once the server listens, with the bound port (useful with
    ///     port 0 in tests).
    /// - Throws: ``HTTPSetupError`` when a TLS file cannot be read or the TLS settings are
    ///   unusable.
    public init(
        api: LedgerAPI,
        http: HTTPConfiguration,
        metricsFactory: (any MetricsFactory)? = nil,
        logger: Logger = Logger(label: "edge-ledger.http"),
        onServerRunning: (@Sendable (Int) async -> Void)? = nil
    ) throws(HTTPSetupError) {
        // The agent's MQTT client (libmosquitto) waits on its socket with select(), which cannot
        // take a descriptor numbered 1,024 or above: the API's connections must leave the
        // agent well below that, whatever RLIMIT_NOFILE allows (at most 504 + 8 reserved).
        let limits = ConnectionGuard.fitting(
            ConnectionGuard.Limits(http.limits, requestTimeout: http.requestTimeout, prefix: http.prefix),
            descriptorLimit: min(ConnectionGuard.descriptorLimit() ?? Self.selectLimit, Self.selectLimit),
            logger: logger, listener: "api",
            hint: "the agent keeps its descriptors below 1024 for its MQTT client; lower http.max_connections")
        let connections = ConnectionGuard(limits: limits, listener: "api", metricsFactory: metricsFactory)
        let http1 = connections.http1(idleTimeout: http.requestTimeout, logger: logger)
        let server: HTTPServerBuilder
        if let tls = http.tls {
            let configuration = try HTTPServerTLS.configuration(tls)
            do {
                server = try .tls(http1, tlsConfiguration: configuration)
            } catch {
                throw HTTPSetupError("cannot set up TLS for the HTTP API: \(error)", hint: "check [http.tls]")
            }
        } else {
            server = http1
        }
        let scheme = http.tls == nil ? "http" : "https"
        let address = http.listen
        self.api = api
        self.connections = connections
        self.application = Application(
            router: api.makeRouter(),
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(address.host, port: Int(address.port)), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? Int(address.port)
                logger.info(
                    "HTTP API listening",
                    metadata: [
                        "address":
                            "\(scheme)://\(HostPort(host: address.host, port: UInt16(clamping: port)))\(http.prefix)"
                    ])
                await onServerRunning?(port)
            },
            logger: logger)
    }

    /// Prepares a ``LedgerAPI`` (see its initializer for the parameters) and serves it.
    public init(
        http: HTTPConfiguration,
        metrics: MetricsConfiguration = MetricsConfiguration(),
        upstreams: [UpstreamPeerConfiguration] = [],
        storePath: String,
        hasher: any MerkleHasher,
        acknowledger: any LedgerAcknowledging,
        status: any LedgerAPIStatus,
        registry: PrometheusCollectorRegistry? = nil,
        metricsFactory: (any MetricsFactory)? = nil,
        readerCount: Int = 2,
        logger: Logger = Logger(label: "edge-ledger.http"),
        logBudget: LogBudget? = nil,
        onAcknowledge: (@Sendable (UpstreamState) -> Void)? = nil,
        onServerRunning: (@Sendable (Int) async -> Void)? = nil
    ) throws(HTTPSetupError) {
        let api = try LedgerAPI(
            http: http, metrics: metrics, upstreams: upstreams, storePath: storePath, hasher: hasher,
            acknowledger: acknowledger, status: status, registry: registry, metricsFactory: metricsFactory,
            readerCount: readerCount, logger: logger, logBudget: logBudget, onAcknowledge: onAcknowledge)
        try self.init(
            api: api, http: http, metricsFactory: metricsFactory, logger: logger, onServerRunning: onServerRunning)
    }

    /// Runs the server until graceful shutdown (in-flight requests are completed) or
    /// cancellation.
    public func run() async throws {
        try await application.run()
    }

    public var description: String { "LedgerAPIService" }
}

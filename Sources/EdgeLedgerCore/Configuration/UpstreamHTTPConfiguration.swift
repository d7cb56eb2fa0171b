/// The reference upstream's HTTP listener (`[http]` in upstream.toml): the C2SP tlog-witness
/// `add-checkpoint` endpoint, health and metrics.
public struct UpstreamHTTPConfiguration: Sendable, Equatable {
    /// Address to listen on. Default `127.0.0.1:8090`.
    public var listen: HostPort
    /// Path prefix of every endpoint. Default `""`.
    public var prefix: String
    /// TLS; `nil` serves plaintext.
    public var tls: HTTPServerTLSConfiguration?
    /// Allow plaintext on a non-loopback address. Default false.
    public var allowPlaintext: Bool
    /// Accept `add-checkpoint` without a bearer token (signatures still authenticate every
    /// checkpoint). Default true; when false, a request needs a `[[http.tokens]]` token or a
    /// client certificate from `tls.client_ca_file`.
    public var allowAnonymous: Bool
    /// Largest request body, 1KiB...16MiB. Default 64KiB.
    public var maxBodyBytes: Int
    /// Request timeout, 1s...10m. Default 30s.
    public var requestTimeout: Duration
    /// Accepted bearer tokens.
    public var tokens: [HTTPTokenConfiguration]
    /// Header deadline and connection caps.
    public var limits: ConnectionLimits
    /// `admin_clients`: the `[[http.tokens]]` names or client-certificate subjects that may use
    /// the admin API (`<prefix>/admin/gateways…`: enrollment without restarts). Empty (the
    /// default): no admin API. Never anonymous, whatever `allow_anonymous` says.
    public var adminClients: [String]
    /// `monitoring_prefix`: the path under which every collected log is served as C2SP
    /// tlog-tiles (`<monitoring prefix>/<origin hash>/checkpoint`, `…/tile/…`). `nil`: ``logsPrefix``'s
    /// default, `<prefix>/logs`.
    public var monitoringPrefix: String?
    /// `allow_anonymous_read`: serve the collected logs without a credential. Default false: a
    /// `[[http.tokens]]` token or a client certificate from `tls.client_ca_file` is required (the
    /// readings are the plants' data, as on the gateway).
    public var allowAnonymousRead: Bool

    /// The monitoring prefix in effect: ``monitoringPrefix`` or `<prefix>/logs`.
    public var logsPrefix: String { monitoringPrefix ?? prefix + "/logs" }

    /// Creates listener settings.
    public init(
        listen: HostPort = HostPort(host: "127.0.0.1", port: 8090), prefix: String = "",
        tls: HTTPServerTLSConfiguration? = nil, allowPlaintext: Bool = false, allowAnonymous: Bool = true,
        maxBodyBytes: Int = 65_536, requestTimeout: Duration = .seconds(30), tokens: [HTTPTokenConfiguration] = [],
        limits: ConnectionLimits = ConnectionLimits(), adminClients: [String] = [], monitoringPrefix: String? = nil,
        allowAnonymousRead: Bool = false
    ) {
        self.monitoringPrefix = monitoringPrefix
        self.allowAnonymousRead = allowAnonymousRead
        self.adminClients = adminClients
        self.listen = listen
        self.prefix = prefix
        self.tls = tls
        self.allowPlaintext = allowPlaintext
        self.allowAnonymous = allowAnonymous
        self.maxBodyBytes = maxBodyBytes
        self.requestTimeout = requestTimeout
        self.tokens = tokens
        self.limits = limits
    }

    init(reading r: ConfigTableReader) {
        let d = UpstreamHTTPConfiguration()
        let listen = HTTPConfiguration.listenAddress(r, default: d.listen)
        let prefix = r.string("prefix", default: d.prefix, allowEmpty: true)
        if let problem = ConfigNames.problem(withPrefix: prefix) { r.error("prefix", problem) }
        let tls = r.optionalTable("tls").map(HTTPServerTLSConfiguration.init(reading:))
        let allowPlaintext = r.bool("allow_plaintext", default: d.allowPlaintext)
        if tls == nil, !allowPlaintext, !listen.isLoopback {
            r.error(
                "listen",
                "\(listen) is not a loopback address and [http.tls] is not set; add [http.tls] or set allow_plaintext = true"
            )
        }
        let anonymous = r.bool("allow_anonymous", default: d.allowAnonymous)
        let maxBody = r.byteSize("max_body_bytes", default: d.maxBodyBytes, in: 1024...(16 << 20))
        let timeout = r.duration("request_timeout", default: d.requestTimeout, in: .seconds(1)...(.seconds(600)))
        let limits = ConnectionLimits(reading: r)
        let tokens = HTTPConfiguration.tokens(r)
        if !anonymous, tokens.isEmpty, tls?.clientCAFile == nil {
            r.error("allow_anonymous", "false, but there is no [[http.tokens]] entry and no client_ca_file")
        }
        let admins = r.stringArray("admin_clients") ?? []
        let names = Set(tokens.map(\.name))
        for (i, admin) in admins.enumerated() where !admin.contains("=") && !names.contains(admin) {
            r.context.error(
                r.path(of: "admin_clients") + "[\(i)]",
                "no [[http.tokens]] entry is named \(ConfigValue.quote(admin)) (a certificate subject has the form CN=...)"
            )
        }
        if !admins.isEmpty, tls == nil, !listen.isLoopback {
            r.error(
                "admin_clients", "the admin API needs [http.tls] on a non-loopback listener (tokens cross the network)")
        }
        let monitoring = r.string("monitoring_prefix")
        if let monitoring {
            if monitoring.isEmpty {
                r.error("monitoring_prefix", "must not be empty; leave it out for \"<prefix>/logs\"")
            } else if let problem = ConfigNames.problem(withPrefix: monitoring) {
                r.error("monitoring_prefix", problem)
            }
        }
        let anonymousRead = r.bool("allow_anonymous_read", default: d.allowAnonymousRead)
        self.init(
            listen: listen, prefix: prefix, tls: tls, allowPlaintext: allowPlaintext, allowAnonymous: anonymous,
            maxBodyBytes: maxBody, requestTimeout: timeout, tokens: tokens, limits: limits, adminClients: admins,
            monitoringPrefix: monitoring, allowAnonymousRead: anonymousRead)
        r.finish()
    }
}

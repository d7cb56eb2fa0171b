/// The agent's HTTP API (`[http]`): C2SP tlog-tiles reads, proofs, acknowledgements, health
/// and metrics.
public struct HTTPConfiguration: Sendable, Equatable {
    /// Whether the HTTP API runs at all. Default true.
    public var enabled: Bool
    /// Address to listen on. Default `127.0.0.1:8080`.
    public var listen: HostPort
    /// Path prefix of every endpoint, `""` or e.g. `/ledger`. Default `""`.
    public var prefix: String
    /// TLS; `nil` serves plaintext.
    public var tls: HTTPServerTLSConfiguration?
    /// Allow plaintext on a non-loopback address. Default false.
    public var allowPlaintext: Bool
    /// Serve checkpoints, tiles, entries and proofs without authentication. Default false.
    public var allowAnonymousRead: Bool
    /// Largest request body accepted, 1KiB...16MiB. Default 64KiB.
    public var maxBodyBytes: Int
    /// A request must complete within this time, 1s...10m. Default 30s.
    public var requestTimeout: Duration
    /// Accepted bearer tokens.
    public var tokens: [HTTPTokenConfiguration]
    /// Header deadline and connection caps.
    public var limits: ConnectionLimits

    /// Creates HTTP API settings.
    public init(
        enabled: Bool = true, listen: HostPort = HostPort(host: "127.0.0.1", port: 8080), prefix: String = "",
        tls: HTTPServerTLSConfiguration? = nil, allowPlaintext: Bool = false, allowAnonymousRead: Bool = false,
        maxBodyBytes: Int = 65_536, requestTimeout: Duration = .seconds(30), tokens: [HTTPTokenConfiguration] = [],
        limits: ConnectionLimits = ConnectionLimits()
    ) {
        self.enabled = enabled
        self.listen = listen
        self.prefix = prefix
        self.tls = tls
        self.allowPlaintext = allowPlaintext
        self.allowAnonymousRead = allowAnonymousRead
        self.maxBodyBytes = maxBodyBytes
        self.requestTimeout = requestTimeout
        self.tokens = tokens
        self.limits = limits
    }

    init(reading r: ConfigTableReader) {
        let d = HTTPConfiguration()
        let enabled = r.bool("enabled", default: d.enabled)
        let listen = Self.listenAddress(r, default: d.listen)
        let prefix = r.string("prefix", default: d.prefix, allowEmpty: true)
        if let problem = ConfigNames.problem(withPrefix: prefix) { r.error("prefix", problem) }
        let tls = r.optionalTable("tls").map(HTTPServerTLSConfiguration.init(reading:))
        let allowPlaintext = r.bool("allow_plaintext", default: d.allowPlaintext)
        if enabled, tls == nil, !allowPlaintext, !listen.isLoopback {
            r.error(
                "listen",
                "\(listen) is not a loopback address and [http.tls] is not set: tokens and entries would travel in plaintext; add [http.tls] or set allow_plaintext = true"
            )
        }
        let anonymous = r.bool("allow_anonymous_read", default: d.allowAnonymousRead)
        let maxBody = r.byteSize("max_body_bytes", default: d.maxBodyBytes, in: 1024...(16 << 20))
        let timeout = r.duration("request_timeout", default: d.requestTimeout, in: .seconds(1)...(.seconds(600)))
        let limits = ConnectionLimits(reading: r)
        let tokens = Self.tokens(r)
        self.init(
            enabled: enabled, listen: listen, prefix: prefix, tls: tls, allowPlaintext: allowPlaintext,
            allowAnonymousRead: anonymous, maxBodyBytes: maxBody, requestTimeout: timeout, tokens: tokens,
            limits: limits)
        r.finish()
    }

    /// Reads `listen` as `host:port`.
    static func listenAddress(_ r: ConfigTableReader, default defaultValue: HostPort) -> HostPort {
        guard let text = r.string("listen") else { return defaultValue }
        switch HostPort.parse(text) {
        case .success(let address): return address
        case .failure(let reason):
            r.error("listen", "expected \"host:port\" such as \"127.0.0.1:8080\" or \"[::]:8443\": \(reason.message)")
            return defaultValue
        }
    }

    /// Reads `[[tokens]]`, rejecting duplicate names and duplicate token hashes.
    static func tokens(_ r: ConfigTableReader) -> [HTTPTokenConfiguration] {
        let readers = r.tableArray("tokens")
        var tokens: [HTTPTokenConfiguration] = []
        for tr in readers {
            let token = HTTPTokenConfiguration(reading: tr)
            if !token.name.isEmpty, let j = tokens.firstIndex(where: { $0.name == token.name }) {
                tr.error("name", "duplicate token name \(ConfigValue.quote(token.name)) (also \(readers[j].path))")
            }
            if case .sha256Hex(let h) = token.credential, !h.isEmpty,
                let j = tokens.firstIndex(where: { $0.credential == token.credential })
            {
                tr.error("token_sha256", "same token as \(readers[j].path)")
            }
            tokens.append(token)
        }
        return tokens
    }
}

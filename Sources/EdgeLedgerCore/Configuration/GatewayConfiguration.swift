/// One gateway the reference upstream witnesses and collects (`[[gateways]]` in upstream.toml).
public struct GatewayConfiguration: Sendable, Equatable {
    /// How the upstream gets a gateway's log (`mode`).
    public enum Mode: String, Sendable, CaseIterable {
        /// The upstream pulls from the gateway's API (`url`).
        case pull
        /// The gateway pushes to the upstream (tlog-mirror; it needs no inbound port).
        case push
    }

    /// The gateway log's origin (its `identity.origin`). Required, unique.
    public var origin: String
    /// Pull (the default) or push.
    public var mode: Mode
    /// Base URL of the gateway's HTTP API including its prefix, e.g.
    /// `https://gw-12.plant-7.example:8443`. Required with `mode = "pull"`; with `"push"` it is
    /// optional (kept for a later switch to pull) and nothing connects to it.
    public var url: String
    /// The gateway's note verifier keys (`origin+keyid+base64`, as `edge-ledger keygen` prints
    /// them). At least one; see ``requireSignatures``.
    public var verifierKeys: [String]
    /// Which of ``verifierKeys`` every checkpoint must be signed with (`require_signatures`):
    /// ``NoteSignaturePolicy/all`` (the default) refuses a checkpoint missing any of them, e.g.
    /// one whose SM2 line was stripped; ``NoteSignaturePolicy/any`` accepts one valid signature
    /// by a listed key (the signed-note rule; for a key rotation, while the gateway signs with
    /// only one of two listed keys).
    public var requireSignatures: NoteSignaturePolicy
    /// Hash function of the gateway's log. Default SHA-256.
    public var hash: HashAlgorithm
    /// Bearer token for pulling from the gateway (`token` or `token_env`): the token whose hash
    /// the gateway lists in `[[http.tokens]]`.
    public var token: ConfigSecret?
    /// TLS settings for `https://` URLs.
    public var tls: TLSClientConfiguration?
    /// How often to look for a new checkpoint, 1s...1d. Default 10s.
    public var pullInterval: Duration
    /// Timeout of one request, 1s...10m. Default 30s.
    public var timeout: Duration
    /// Send `POST /ack` after storing entries, which lets the gateway prune. Default true.
    public var acknowledge: Bool
    /// Retry backoff while the gateway is unreachable. Default 1s doubling to 5m.
    public var backoff: BackoffConfiguration
    /// Who may submit this log's checkpoints to the witness (`add-checkpoint`): names of
    /// `[[http.tokens]]` entries and client-certificate subjects. A request authenticated by any
    /// other credential is refused for this origin (403); anonymous requests (with
    /// `http.allow_anonymous`) stay subject to the signature alone. Default: none.
    public var witnessClients: [String]
    /// The largest growth accepted in one step, in entries: a checkpoint more than this many
    /// entries beyond the collected size is refused with an error (a signed size is a claim, not
    /// data). 256...2^40. Default 2^30.
    public var maxGrowth: UInt64

    /// The default of ``maxGrowth``.
    public static let defaultMaxGrowth: UInt64 = 1 << 30

    /// Creates a gateway entry.
    public init(
        origin: String, url: String, verifierKeys: [String], requireSignatures: NoteSignaturePolicy = .all,
        hash: HashAlgorithm = .sha256,
        token: ConfigSecret? = nil, tls: TLSClientConfiguration? = nil, pullInterval: Duration = .seconds(10),
        timeout: Duration = .seconds(30), acknowledge: Bool = true,
        backoff: BackoffConfiguration = BackoffConfiguration(initial: .seconds(1), max: .seconds(300)),
        witnessClients: [String] = [], maxGrowth: UInt64 = GatewayConfiguration.defaultMaxGrowth,
        mode: Mode = .pull
    ) {
        self.origin = origin
        self.mode = mode
        self.url = url
        self.verifierKeys = verifierKeys
        self.requireSignatures = requireSignatures
        self.hash = hash
        self.token = token
        self.tls = tls
        self.pullInterval = pullInterval
        self.timeout = timeout
        self.acknowledge = acknowledge
        self.backoff = backoff
        self.witnessClients = witnessClients
        self.maxGrowth = maxGrowth
    }

    init(reading r: ConfigTableReader) {
        let d = GatewayConfiguration(origin: "", url: "", verifierKeys: [])
        let origin = r.requiredString("origin") ?? ""
        if !origin.isEmpty, let problem = ConfigNames.problem(withOrigin: origin) { r.error("origin", problem) }
        let mode = r.choice("mode", default: Mode.pull, Mode.allCases.map { ($0.rawValue, $0) })
        var url = (mode == .pull ? r.requiredString("url") : r.string("url")) ?? ""
        if !url.isEmpty {
            if let problem = ConfigNames.problem(withURL: url) { r.error("url", problem) }
            url = ConfigNames.trimmedURL(url)
        }
        var keys: [String] = []
        if !r.has("verifier_keys") {
            r.missing("verifier_keys")
        } else if let list = r.stringArray("verifier_keys") {
            if list.isEmpty { r.error("verifier_keys", "at least one verifier key is required") }
            for (i, key) in list.enumerated() {
                let keyPath = r.path(of: "verifier_keys") + "[\(i)]"
                if let problem = ConfigVerifierKey.problem(with: key, expectedName: origin.isEmpty ? nil : origin) {
                    r.context.error(keyPath, problem)
                } else if keys.contains(key) {
                    r.context.error(keyPath, "duplicate verifier key")
                } else {
                    keys.append(key)
                }
            }
        }
        let require = r.choice(
            "require_signatures", default: d.requireSignatures, NoteSignaturePolicy.allCases.map { ($0.rawValue, $0) })
        let hash = r.choice("hash", default: d.hash, HashAlgorithm.allCases.map { ($0.rawValue, $0) })
        let token = r.secret("token")
        let tls = r.optionalTable("tls").map(TLSClientConfiguration.init(reading:))
        if tls != nil, !url.isEmpty, !url.lowercased().hasPrefix("https://") {
            r.error("tls", "only applies to https:// URLs")
        }
        if token != nil, url.lowercased().hasPrefix("http://"), !ConfigNames.isLoopback(url: url) {
            r.warn("token", "sent in plaintext over http:// to a non-loopback host")
        }
        self.init(
            origin: origin, url: url, verifierKeys: keys, requireSignatures: require, hash: hash, token: token,
            tls: tls,
            pullInterval: r.duration("pull_interval", default: d.pullInterval, in: .seconds(1)...(.seconds(86_400))),
            timeout: r.duration("timeout", default: d.timeout, in: .seconds(1)...(.seconds(600))),
            acknowledge: r.bool("acknowledge", default: d.acknowledge),
            backoff: BackoffConfiguration(reading: r.table("backoff"), defaults: d.backoff),
            witnessClients: r.stringArray("witness_clients") ?? [],
            maxGrowth: UInt64(r.integer("max_growth", default: Int64(d.maxGrowth), in: 256...(1 << 40))),
            mode: mode)
        r.finish()
    }
}

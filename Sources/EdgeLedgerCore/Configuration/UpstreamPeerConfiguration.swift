/// One upstream of the agent (`[[upstreams]]`): a witness the agent pushes checkpoints to
/// (C2SP tlog-witness `add-checkpoint`), and/or a collector whose acknowledgements gate
/// payload pruning.
public struct UpstreamPeerConfiguration: Sendable, Equatable {
    /// How the upstream gets the log (`mode`).
    public enum Mode: String, Sendable, Equatable {
        /// The upstream pulls the log (C2SP tlog-tiles) and the agent pushes checkpoints to its
        /// witness (tlog-witness) — the default.
        case pull
        /// The agent pushes its log to the upstream's mirror (C2SP tlog-mirror): ``url`` is the
        /// mirror's submission prefix (`https://dc.example/mirror`), ``mirrorKey`` its key.
        case push
    }

    /// `pull` (default) or `push`.
    public var mode: Mode
    /// The mirror's C2SP verifier key (cosignature/v1): a complete upload is acknowledged only
    /// when the mirror's cosignature verifies with it. Required with `mode = "push"`.
    public var mirrorKey: String?
    /// Unique name (`[A-Za-z0-9._-]`, 1...64). Acknowledgements (`POST /ack`) count for this
    /// upstream when made with the `[[http.tokens]]` entry of the same name or with a client
    /// certificate whose subject is ``clientSubject``.
    public var name: String
    /// Base URL of the witness; `add-checkpoint` is appended. Required when ``witness`` is true.
    public var url: String?
    /// Push every new checkpoint to ``url`` and keep the cosignatures. Default true.
    public var witness: Bool
    /// Payloads are pruned only after this upstream acknowledged them. Default false.
    public var requiredForRetention: Bool
    /// Bearer token sent with pushes (`token` or `token_env`).
    public var token: ConfigSecret?
    /// Subject of this upstream's client certificate (mutual TLS), e.g. `CN=dc-1,O=Example`.
    public var clientSubject: String?
    /// The witness's C2SP verifier key (`name+keyid+base64`): cosignatures are stored and served
    /// only after they verify with it. Required for a witness unless ``verify`` is false.
    public var verifierKey: String?
    /// Verify this witness's cosignatures (with ``verifierKey``) and keep those that verify.
    /// `false` pushes without keeping any cosignature (the witness still records the log's
    /// history); warned about at start and by `check-config`. Default true.
    public var verify: Bool
    /// Timeout of one push request, 1s...10m. Default 10s.
    public var timeout: Duration
    /// TLS settings for `https://` URLs (CA, client certificate).
    public var tls: TLSClientConfiguration?
    /// Retry backoff while the upstream is unreachable. Default 1s doubling to 5m, with jitter.
    public var backoff: BackoffConfiguration

    /// Creates an upstream entry.
    public init(
        name: String, url: String? = nil, witness: Bool = true, requiredForRetention: Bool = false,
        token: ConfigSecret? = nil, clientSubject: String? = nil, verifierKey: String? = nil,
        timeout: Duration = .seconds(10), tls: TLSClientConfiguration? = nil,
        backoff: BackoffConfiguration = BackoffConfiguration(initial: .seconds(1), max: .seconds(300)),
        verify: Bool = true, mode: Mode = .pull, mirrorKey: String? = nil
    ) {
        self.mode = mode
        self.mirrorKey = mirrorKey
        self.name = name
        self.url = url
        self.witness = witness
        self.requiredForRetention = requiredForRetention
        self.token = token
        self.clientSubject = clientSubject
        self.verifierKey = verifierKey
        self.verify = verify
        self.timeout = timeout
        self.tls = tls
        self.backoff = backoff
    }

    init(reading r: ConfigTableReader) {
        let d = UpstreamPeerConfiguration(name: "")
        let name = r.requiredString("name") ?? ""
        if !name.isEmpty, let problem = ConfigNames.problem(withClientName: name) { r.error("name", problem) }
        var mode = Mode.pull
        if let text = r.string("mode") {
            if let parsed = Mode(rawValue: text) {
                mode = parsed
            } else {
                r.error("mode", "expected \"pull\" or \"push\", got \(ConfigValue.quote(text))")
            }
        }
        var mirrorKey = r.string("mirror_key")
        if let key = mirrorKey, let problem = ConfigVerifierKey.problem(with: key, expectedName: nil) {
            r.error("mirror_key", problem)
            mirrorKey = nil
        }
        if mode == .push, !r.has("mirror_key") {
            r.error(
                "mirror_key",
                "required key is missing with mode = \"push\": a complete upload counts only when the mirror's "
                    + "cosignature verifies with it (`edge-ledger-upstream --print-verifier-key` prints it)")
        } else if mode == .pull, r.has("mirror_key") {
            r.warn("mirror_key", "unused: mode = \"pull\"")
        }
        // Pushing to a mirror replaces the witness push to this upstream.
        let witnessSetting = r.bool("witness", default: d.witness)
        let witness = mode == .push ? true : witnessSetting
        var url = r.string("url")
        if let u = url {
            if let problem = ConfigNames.problem(withURL: u) {
                r.error("url", problem)
                url = nil
            } else {
                url = ConfigNames.trimmedURL(u)
            }
        } else if mode == .push {
            r.error("url", "required key is missing with mode = \"push\" (the mirror's submission prefix)")
        } else if witnessSetting, !r.has("url") {
            r.error("url", "required key is missing (needed to push checkpoints; or set witness = false)")
        }
        let required = r.bool("required_for_retention", default: d.requiredForRetention)
        let token = r.secret("token")
        let subject = r.string("client_subject")
        var verifierKey = r.string("verifier_key")
        if let key = verifierKey, let problem = ConfigVerifierKey.problem(with: key, expectedName: nil) {
            r.error("verifier_key", problem)
            verifierKey = nil
        }
        let verify = r.bool("verify", default: d.verify)
        if mode == .push {
            if r.has("witness") { r.warn("witness", "unused: mode = \"push\" (the mirror takes the checkpoints)") }
        } else if witness, verify, !r.has("verifier_key") {
            r.error(
                "verifier_key",
                "required key is missing: cosignatures are kept and served only after they verify with the "
                    + "witness's key (`edge-ledger-upstream --print-verifier-key` prints it); or set verify = false "
                    + "to push without keeping cosignatures")
        } else if witness, !verify {
            r.warn(
                "verify",
                "false: this witness's cosignatures are NOT verified, so none is kept or served; pushes still "
                    + "commit the witness to this log's history")
        }
        let timeout = r.duration("timeout", default: d.timeout, in: .seconds(1)...(.seconds(600)))
        let tls = r.optionalTable("tls").map(TLSClientConfiguration.init(reading:))
        let backoff = BackoffConfiguration(reading: r.table("backoff"), defaults: d.backoff)
        if let u = url {
            if tls != nil, !u.lowercased().hasPrefix("https://") {
                r.error("tls", "only applies to https:// URLs")
            }
            if token != nil, u.lowercased().hasPrefix("http://"), !ConfigNames.isLoopback(url: u) {
                r.warn("token", "sent in plaintext over http:// to a non-loopback host")
            }
        }
        if !witness {
            if r.has("url") { r.warn("url", "unused: witness = false") }
            if token != nil { r.warn("token", "unused: witness = false") }
        }
        self.init(
            name: name, url: url, witness: witness, requiredForRetention: required, token: token,
            clientSubject: subject, verifierKey: verifierKey, timeout: timeout, tls: tls, backoff: backoff,
            verify: verify, mode: mode, mirrorKey: mirrorKey)
        r.finish()
    }
}

/// A bearer token accepted by an HTTP listener, and the name of the client it identifies.
public struct HTTPTokenConfiguration: Sendable, Equatable {
    /// How the token is known.
    public enum Credential: Sendable, Equatable {
        /// SHA-256 of the token, 64 lowercase hex digits (`token_sha256`): the file never holds
        /// the token itself.
        case sha256Hex(String)
        /// The token itself, from an environment variable (`token_env`); hash it before use.
        case plaintext(ConfigSecret)
    }

    /// Client name (`[A-Za-z0-9._-]`, 1...64): appears in logs and metrics, and acknowledgements
    /// made with this token are recorded under it.
    public var name: String
    /// The token.
    public var credential: Credential

    /// Creates a token entry.
    public init(name: String, credential: Credential) {
        self.name = name
        self.credential = credential
    }

    /// Reads `name` and exactly one of `token_sha256` / `token_env`.
    init(reading r: ConfigTableReader) {
        let name = r.requiredString("name") ?? ""
        if !name.isEmpty, let problem = ConfigNames.problem(withClientName: name) { r.error("name", problem) }
        var credential = Credential.sha256Hex("")
        let hash = r.string("token_sha256")
        let fromEnv = r.secret("token")
        switch (hash, fromEnv) {
        case (.some, .some):
            r.error("token_sha256", "set either token_sha256 or token_env, not both")
        case (.some(let hex), .none):
            let lower = hex.lowercased()
            if lower.utf8.count == 64, Hex.decode(lower) != nil {
                credential = .sha256Hex(lower)
            } else {
                r.error(
                    "token_sha256",
                    "expected 64 hex digits (the SHA-256 of the token, e.g. from `printf %s TOKEN | sha256sum`), got \(ConfigValue.quote(hex))"
                )
            }
        case (.none, .some(let secret)):
            credential = .plaintext(secret)
            if case .inline = secret.source {
                r.error("token", "write the token's hash as token_sha256, or take the token from token_env")
            }
        case (.none, .none):
            if !r.has("token_env") { r.error("token_sha256", "required key is missing (or set token_env)") }
        }
        self.init(name: name, credential: credential)
        r.finish()
    }
}

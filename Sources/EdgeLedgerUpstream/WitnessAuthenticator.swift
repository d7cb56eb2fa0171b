import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP

/// Who may use the reference upstream's witness endpoint (`[http]` of upstream.toml): a bearer
/// token, or a client certificate (mutual TLS).
///
/// Tokens are kept as SHA-256 digests and compared in constant time; the `Bearer` scheme is
/// matched case-insensitively (``BearerCredential``). A client certificate was already checked
/// against `http.tls.client_ca_file` in the TLS handshake, so a connection that presented one is
/// authenticated by it (as its subject) when the request carries no `Authorization` header. With
/// `allow_anonymous` (the default: C2SP witnesses authenticate every checkpoint by its signature)
/// a request without a credential passes; otherwise it gets 401, and one with an unknown token
/// 403 (also when it came with a certificate). Which origins an authenticated client may submit
/// is the witness's decision (``WitnessedLog/clients``).
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
            case .plaintext(let secret): (token.name, APIAuthenticator.digest(Array(secret.value.utf8)))
            }
        }
    }

    /// The decision for a request.
    public enum Decision: Sendable, Equatable {
        /// Accepted: by a token or a certificate, or anonymous (`nil`).
        case accepted(WitnessClient?)
        /// 401: a token is required.
        case missing
        /// 403: the token is not known.
        case forbidden
    }

    /// Checks an `Authorization` header value, and without one the subject components of the
    /// connection's client certificate (`nil` when there is none).
    public func check(authorization header: String?, clientSubject: [String]? = nil) -> Decision {
        guard let header else {
            if let clientSubject { return .accepted(.certificate(clientSubject)) }
            return allowAnonymous ? .accepted(nil) : .missing
        }
        guard let token = BearerCredential.token(inAuthorization: header) else {
            return allowAnonymous ? .accepted(nil) : .missing
        }
        let digest = APIAuthenticator.digest(Array(token))
        var match: String? = nil
        for token in tokens {
            // Every token is compared in full, whatever matched before.
            if APIAuthenticator.constantTimeEqual(digest, token.digest) && match == nil { match = token.name }
        }
        if let match { return .accepted(.token(match)) }
        return allowAnonymous ? .accepted(nil) : .forbidden
    }
}

/// An authenticated client of the witness: the name of its `[[http.tokens]]` entry, or the
/// subject of its client certificate.
public struct WitnessClient: Sendable, Equatable, CustomStringConvertible {
    /// How the client authenticated.
    public enum Credential: Sendable, Equatable {
        /// A bearer token (``WitnessClient/name`` is the token's name).
        case token
        /// A client certificate with these RFC 4514 subject components, most specific first.
        case certificate([String])
    }

    /// The token's name or the certificate's subject.
    public var name: String
    /// How the client authenticated.
    public var credential: Credential

    /// A client authenticated by the `[[http.tokens]]` entry `name`.
    public static func token(_ name: String) -> WitnessClient { WitnessClient(name: name, credential: .token) }

    /// A client authenticated by a certificate whose subject has `components`.
    public static func certificate(_ components: [String]) -> WitnessClient {
        WitnessClient(
            name: components.isEmpty ? "a client certificate" : components.joined(separator: ","),
            credential: .certificate(components))
    }

    /// Whether a configured `witness_clients` value names this client: a token name exactly, a
    /// certificate subject in any form ``CertificateSubject`` accepts.
    public func matches(_ configured: String) -> Bool {
        switch credential {
        case .token: configured == name
        case .certificate(let components): CertificateSubject.matches(configured: configured, components: components)
        }
    }

    public var description: String {
        switch credential {
        case .token: "token \"\(name)\""
        case .certificate: "client certificate \"\(name)\""
        }
    }
}

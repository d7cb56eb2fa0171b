/// Who made a request, as far as the API could establish.
public struct APIClient: Sendable, Hashable, CustomStringConvertible {
    /// How a client proved its identity.
    public enum Credential: String, Sendable, Hashable {
        /// A bearer token from `[[http.tokens]]`.
        case token
        /// A client certificate validated against `http.tls.client_ca_file` (mutual TLS).
        case certificate
    }

    /// The token's configured name, or the certificate's subject (RFC 4514).
    public var name: String
    /// How the client authenticated.
    public var credential: Credential
    /// The `[[upstreams]]` entry this client is, if any: acknowledgements count for it.
    public var upstream: String?

    /// Creates a client identity.
    public init(name: String, credential: Credential, upstream: String?) {
        self.name = name
        self.credential = credential
        self.upstream = upstream
    }

    /// `token "dc-1"` or `certificate "CN=dc-1,O=Example"`.
    public var description: String { "\(credential.rawValue) \"\(name)\"" }
}

import EdgeLedgerCore
import EdgeLedgerCrypto
import Hummingbird

/// Establishes who sent a request: a bearer token from `[[http.tokens]]` (`Authorization:
/// Bearer <token>`), or a client certificate (mutual TLS), or nobody.
///
/// Tokens are kept only as SHA-256 digests (a `token_env` token is hashed at start). A presented
/// token is hashed and compared with every configured digest in constant time, so neither the
/// comparison nor the position of the match in the list shows in the response time.
package struct APIAuthenticator: Sendable {
    /// The result of looking at a request's credentials.
    package enum Outcome: Sendable {
        /// No credentials at all.
        case anonymous
        /// A valid token or certificate.
        case client(APIClient)
        /// Credentials that are wrong or malformed; the reason is safe to show to the client.
        case invalid(String)
    }

    private struct Token: Sendable {
        var name: String
        var digest: [UInt8]
    }

    private let tokens: [Token]
    private let upstreamNames: Set<String>
    private let upstreamSubjects: [(subject: String, name: String)]

    /// Prepares the configured tokens and the upstreams' names and certificate subjects.
    ///
    /// - Throws: ``HTTPSetupError`` for a token without a usable credential (a malformed digest,
    ///   an empty token from the environment).
    package init(tokens: [HTTPTokenConfiguration], upstreams: [UpstreamPeerConfiguration]) throws(HTTPSetupError) {
        var prepared: [Token] = []
        for token in tokens {
            switch token.credential {
            case .sha256Hex(let hex):
                guard let digest = Hex.decode(hex), digest.count == 32 else {
                    throw HTTPSetupError(
                        "http.tokens \"\(token.name)\": token_sha256 is not 64 hex digits",
                        hint: "write the SHA-256 of the token, e.g. from `printf %s TOKEN | sha256sum`")
                }
                prepared.append(Token(name: token.name, digest: digest))
            case .plaintext(let secret):
                guard !secret.value.isEmpty else {
                    throw HTTPSetupError(
                        "http.tokens \"\(token.name)\": the token from \(secret) is empty",
                        hint: "set the environment variable to the token, or use token_sha256")
                }
                prepared.append(Token(name: token.name, digest: APIAuthenticator.digest(Array(secret.value.utf8))))
            }
        }
        self.tokens = prepared
        self.upstreamNames = Set(upstreams.map(\.name))
        self.upstreamSubjects = upstreams.compactMap { u in u.clientSubject.map { ($0, u.name) } }
    }

    /// SHA-256 of a token.
    package static func digest(_ token: [UInt8]) -> [UInt8] { OpenSSLHasher.sha256.hash(token).bytes }

    /// Looks at the `Authorization` header first; without one, at the connection's client
    /// certificate (obtained through `peerCertificate` only when needed).
    package func authenticate(
        _ request: Request, peerCertificate: () async -> [UInt8]?
    ) async -> Outcome {
        let values = request.headers[values: .authorization]
        if values.count > 1 { return .invalid("more than one Authorization header") }
        if let header = values.first { return authenticate(authorization: header) }
        guard let der = await peerCertificate() else { return .anonymous }
        guard let components = CertificateSubject.components(certificateDER: der) else {
            return .invalid("the client certificate's subject cannot be read")
        }
        let upstream = upstreamSubjects.first {
            CertificateSubject.matches(configured: $0.subject, components: components)
        }
        return .client(
            APIClient(name: components.joined(separator: ","), credential: .certificate, upstream: upstream?.name))
    }

    /// Checks an `Authorization` header value.
    package func authenticate(authorization header: String) -> Outcome {
        guard let token = BearerCredential.token(inAuthorization: header) else {
            return .invalid("the Authorization header must be \"Bearer <token>\"")
        }
        let presented = APIAuthenticator.digest(Array(token))
        var match: Int? = nil
        for (i, candidate) in tokens.enumerated() {
            // Every candidate is compared in full, whatever matched before.
            if APIAuthenticator.constantTimeEqual(presented, candidate.digest) && match == nil { match = i }
        }
        guard let match else { return .invalid("unknown bearer token") }
        let name = tokens[match].name
        return .client(APIClient(name: name, credential: .token, upstream: upstreamNames.contains(name) ? name : nil))
    }

    /// Compares two byte strings without an early exit.
    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

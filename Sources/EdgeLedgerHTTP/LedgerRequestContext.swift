import Hummingbird
import NIOCore
import NIOSSL

/// What the ledger API needs from a request context: the client certificate of the connection,
/// when mutual TLS is in use.
///
/// ``LedgerRequestContext`` is the implementation for a Hummingbird `Application`; a server
/// that mounts the API on a router with its own context type conforms that type instead.
public protocol LedgerRequestContextProtocol: RequestContext, Sendable {
    /// The DER encoding of the TLS client certificate of this request's connection, if the
    /// connection is TLS and the client presented one (it was validated during the handshake).
    func peerCertificateDER() async -> [UInt8]?
}

/// The request context of the ledger API's `Application`.
public struct LedgerRequestContext: LedgerRequestContextProtocol, RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    private let channel: any Channel

    /// Creates a context for a request received on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    public func peerCertificateDER() async -> [UInt8]? {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get() else { return nil }
        return try? certificate.toDERBytes()
    }
}

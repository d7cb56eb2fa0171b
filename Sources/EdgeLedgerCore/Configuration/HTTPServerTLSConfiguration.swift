/// TLS for an HTTP listener, optionally with client certificates (mutual TLS).
public struct HTTPServerTLSConfiguration: Sendable, Equatable {
    /// PEM certificate chain of the server.
    public var certFile: String
    /// PEM private key of the server certificate.
    public var keyFile: String
    /// PEM CA certificates that client certificates must chain to. When set, every client must
    /// present a certificate (mutual TLS); clients are identified by their certificate subject.
    public var clientCAFile: String?

    /// Creates TLS server settings.
    public init(certFile: String, keyFile: String, clientCAFile: String? = nil) {
        self.certFile = certFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
    }

    /// Reads `cert_file`, `key_file`, `client_ca_file`.
    init(reading r: ConfigTableReader) {
        let cert = r.requiredFilePath("cert_file") ?? ""
        let key = r.requiredFilePath("key_file") ?? ""
        self.init(certFile: cert, keyFile: key, clientCAFile: r.filePath("client_ca_file"))
        r.finish()
    }
}

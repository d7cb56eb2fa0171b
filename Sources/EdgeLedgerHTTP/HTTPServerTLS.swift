import EdgeLedgerCore
import NIOSSL

/// TLS for an HTTP listener (`[http.tls]`), for the gateway's API and the upstream's witness
/// alike.
public enum HTTPServerTLS {
    /// The NIOSSL server configuration for `[http.tls]`: the certificate chain and key, TLS 1.2
    /// or later, and with `client_ca_file` a required client certificate chaining to those CAs.
    ///
    /// - Throws: ``HTTPSetupError`` naming the file that cannot be read or the setting that
    ///   cannot be used.
    public static func configuration(
        _ tls: HTTPServerTLSConfiguration
    ) throws(HTTPSetupError)
        -> TLSConfiguration
    {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tls.certFile)
        } catch {
            throw HTTPSetupError(
                "cannot read the TLS certificate chain \(tls.certFile): \(error)",
                hint: "http.tls.cert_file must be a PEM file with the server certificate first")
        }
        guard !chain.isEmpty else {
            throw HTTPSetupError(
                "\(tls.certFile) holds no PEM certificate",
                hint: "http.tls.cert_file must be a PEM file with the server certificate first")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)
        } catch {
            throw HTTPSetupError(
                "cannot read the TLS private key \(tls.keyFile): \(error)",
                hint: "http.tls.key_file must be the PEM private key of the server certificate")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let caFile = tls.clientCAFile {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw HTTPSetupError(
                    "cannot read the client CA certificates \(caFile): \(error)",
                    hint: "http.tls.client_ca_file must be a PEM file of CA certificates")
            }
            guard !roots.isEmpty else {
                throw HTTPSetupError(
                    "\(caFile) holds no PEM certificate",
                    hint: "http.tls.client_ca_file must be a PEM file of CA certificates")
            }
            configuration.trustRoots = .certificates(roots)
            configuration.certificateVerification = .noHostnameVerification
            configuration.sendCANameList = true
        }
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw HTTPSetupError(
                "the TLS settings cannot be used: \(error)",
                hint: "check that http.tls.key_file is the key of http.tls.cert_file")
        }
        return configuration
    }
}

/// TLS for an outgoing connection (to the MQTT broker, to an upstream, to a gateway).
///
/// The server certificate and host name are always verified; there is no insecure mode.
public struct TLSClientConfiguration: Sendable, Equatable {
    /// PEM file with the CA certificates to trust; `nil` uses the system trust store.
    public var caFile: String?
    /// PEM client certificate for mutual TLS; set together with ``keyFile``.
    public var certFile: String?
    /// PEM private key of the client certificate.
    public var keyFile: String?

    /// Creates TLS client settings.
    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }

    /// Reads `ca_file`, `cert_file`, `key_file` and `insecure` (which may only be false).
    init(reading r: ConfigTableReader) {
        self.init(caFile: r.filePath("ca_file"), certFile: r.filePath("cert_file"), keyFile: r.filePath("key_file"))
        if r.has("cert_file") != r.has("key_file") {
            r.error(r.has("cert_file") ? "key_file" : "cert_file", "cert_file and key_file must be set together")
        }
        if r.bool("insecure", default: false) {
            r.error(
                "insecure",
                "disabling certificate verification is not supported; trust a private CA with ca_file instead")
        }
        r.finish()
    }
}

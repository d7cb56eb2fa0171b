import COpenSSL
import EdgeLedgerCore
import EdgeLedgerSystem

/// Checks a TLS client certificate and its key before a handshake does: a certificate that has
/// expired, is not valid yet or does not belong to its key makes the broker (or the TLS library)
/// end every connection, which the operator would otherwise learn only from a failed connection.
/// `edge-ledger check-config` prints the result as warnings, and the agent logs them at start.
public enum ClientCertificateCheck {
    /// Warnings for the agent's client certificates (`mqtt.tls`, `upstreams[].tls`): every
    /// connection made with one of them fails.
    public static func warnings(_ config: AgentConfiguration, now: Int64 = SystemClock.nowSeconds()) -> [ConfigIssue] {
        var issues = warnings(config.mqtt.tls, section: "mqtt.tls", now: now)
        for (i, upstream) in config.upstreams.enumerated() {
            issues += warnings(upstream.tls, section: "upstreams[\(i)].tls", now: now)
        }
        return issues
    }

    /// Warnings for the client certificate of `tls` (none without one), at the key paths under
    /// `section` (e.g. `mqtt.tls`), judged at `now` (Unix seconds). Files that cannot be read are
    /// named too; a missing file is left to the caller's own check.
    public static func warnings(
        _ tls: TLSClientConfiguration?, section: String, now: Int64 = SystemClock.nowSeconds()
    ) -> [ConfigIssue] {
        guard let tls, let certFile = tls.certFile, access(certFile, F_OK) == 0 else { return [] }
        let certPath = "\(section).cert_file"
        guard let cert = readCertificate(certFile) else {
            return [
                ConfigIssue(
                    path: certPath,
                    message: "\(certFile) holds no PEM certificate OpenSSL can read (\(OpenSSL.drainErrors())); "
                        + "the TLS handshake cannot use it: point cert_file at the PEM client certificate")
            ]
        }
        defer { X509_free(cert) }
        var issues: [ConfigIssue] = []
        if let notAfter = unixSeconds(X509_get0_notAfter(cert)), notAfter < now {
            issues.append(
                ConfigIssue(
                    path: certPath,
                    message: "\(certFile) expired on \(RFC3339.dateTime(seconds: notAfter))Z: a broker that checks "
                        + "client certificates refuses it (alert: certificate expired); renew it"))
        }
        if let notBefore = unixSeconds(X509_get0_notBefore(cert)), notBefore > now {
            issues.append(
                ConfigIssue(
                    path: certPath,
                    message: "\(certFile) is not valid before \(RFC3339.dateTime(seconds: notBefore))Z (this "
                        + "machine's clock says \(RFC3339.dateTime(seconds: now))Z): a broker that checks client "
                        + "certificates refuses it until then; check the clock (timedatectl) or reissue it"))
        }
        if let keyFile = tls.keyFile, access(keyFile, R_OK) == 0 {
            issues += keyIssues(cert: cert, certFile: certFile, keyFile: keyFile, section: section)
        }
        return issues
    }

    private static func keyIssues(
        cert: OpaquePointer, certFile: String, keyFile: String, section: String
    ) -> [ConfigIssue] {
        let keyPath = "\(section).key_file"
        guard let key = readPrivateKey(keyFile) else {
            return [
                ConfigIssue(
                    path: keyPath,
                    message: "\(keyFile) holds no unencrypted PEM private key OpenSSL can read "
                        + "(\(OpenSSL.drainErrors())); point key_file at the client certificate's key")
            ]
        }
        defer { EVP_PKEY_free(key) }
        guard X509_check_private_key(cert, key) == 1 else {
            ERR_clear_error()
            return [
                ConfigIssue(
                    path: keyPath,
                    message: "\(keyFile) is not the private key of \(certFile): no TLS connection can be made "
                        + "with them; point key_file at the key the certificate was issued for")
            ]
        }
        return []
    }

    private static func readCertificate(_ path: String) -> OpaquePointer? {
        guard let bio = BIO_new_file(path, "r") else { return nil }
        defer { BIO_free(bio) }
        return PEM_read_bio_X509(bio, nil, nil, nil)
    }

    private static func readPrivateKey(_ path: String) -> OpaquePointer? {
        guard let bio = BIO_new_file(path, "r") else { return nil }
        defer { BIO_free(bio) }
        // A password callback that declines: never prompt on a terminal for an encrypted key.
        return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
    }

    /// Unix seconds of an ASN.1 time, or `nil` when OpenSSL cannot compare it.
    private static func unixSeconds(_ time: UnsafePointer<asn1_string_st>?) -> Int64? {
        guard let time, let epoch = ASN1_TIME_set(nil, 0) else { return nil }
        defer { ASN1_STRING_free(epoch) }
        var days: Int32 = 0
        var seconds: Int32 = 0
        guard ASN1_TIME_diff(&days, &seconds, epoch, time) == 1 else { return nil }
        return Int64(days) * 86_400 + Int64(seconds)
    }
}

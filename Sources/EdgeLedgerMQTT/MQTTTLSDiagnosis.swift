/// What libmosquitto and OpenSSL said during one connection attempt over TLS, turned into a
/// reason the operator can act on.
///
/// libmosquitto reports a failed handshake only as "A TLS error occurred." or "The connection
/// was lost."; the cause is in the lines it logs meanwhile ("OpenSSL Error[0]: error:0A000086:
/// SSL routines::certificate verify failed", "tlsv1 alert unknown ca") and in OpenSSL's verify
/// result for the broker's certificate ("hostname mismatch"). The client keeps those here, one
/// attempt at a time. What is kept is bounded: a hostile broker cannot make it grow.
struct MQTTTLSDiagnosis: Sendable, Equatable {
    /// Error and warning lines kept per attempt; later ones are counted, not kept.
    static let maxLines = 8
    /// Characters kept of each line.
    static let maxLineLength = 240

    /// Names kept of the broker's certificate.
    static let maxNames = 8
    /// Characters kept of each name.
    static let maxNameLength = 100

    /// OpenSSL's verdict on the broker's certificate (`SSL_get_verify_result`), when not "ok".
    struct VerifyResult: Sendable, Equatable {
        /// The `X509_V_ERR_*` code.
        var code: Int
        /// `X509_verify_cert_error_string`, e.g. "hostname mismatch".
        var text: String
    }

    /// The kept lines, oldest first.
    private(set) var lines: [String] = []
    /// Lines beyond ``maxLines``.
    private(set) var dropped = 0
    /// Set by the first failed verification of the attempt.
    var verifyResult: VerifyResult?
    /// The names the broker's certificate is for (`DNS:broker.example`, `IP:10.0.0.5`), when
    /// the handshake failed with it.
    var brokerNames: [String] = []

    /// Where the client connects and with which files: what the advice names.
    struct Target: Sendable {
        var host: String
        var port: Int
        var tls: MQTTClientOptions.TLS
    }

    /// Keeps `line` (an error or warning libmosquitto logged), within the bounds.
    mutating func record(_ line: String) {
        guard lines.count < Self.maxLines else {
            dropped += 1
            return
        }
        lines.append(String(line.prefix(Self.maxLineLength)))
    }

    /// The reason to report: what failed and what to do, or `nil` when nothing was recorded.
    func explanation(for target: Target) -> String? {
        // libmosquitto checks the host name in its own verify callback, which fails the
        // handshake without telling OpenSSL why ("unspecified certificate verification error").
        if lines.contains(where: { $0.contains("host name verification failed") }) {
            return Self.brokerCertificate("hostname mismatch", code: Self.hostnameMismatch, target, names: brokerNames)
        }
        if let verify = verifyResult {
            return Self.brokerCertificate(verify.text, code: verify.code, target, names: brokerNames)
        }
        let reasons = lines.compactMap(Self.openSSLReason)
        if let alert = reasons.lazy.compactMap(Self.alert).first { return Self.alerted(alert, target) }
        if reasons.contains("wrong version number") || reasons.contains("packet length too long") {
            return "TLS: the broker did not answer in TLS (\(reasons[0])): port \(target.port) is probably a "
                + "plaintext listener; set mqtt.port to the broker's TLS listener (usually 8883)"
        }
        if let reason = reasons.first {
            return "TLS: the handshake failed: \(reason) (\(otherLines(excluding: reason)))"
        }
        guard let first = lines.first else { return nil }
        return "TLS: \(Self.trimmed(first)); check mqtt.tls.cert_file and mqtt.tls.key_file "
            + "(edge-ledger check-config checks them)"
    }

    private func otherLines(excluding reason: String) -> String {
        let others = lines.filter { Self.openSSLReason($0) != reason }.map(Self.trimmed)
        let shown = others.isEmpty ? "libmosquitto said nothing more" : others.joined(separator: "; ")
        return dropped > 0 ? "\(shown); \(dropped) more lines" : shown
    }

    // MARK: - The broker's certificate

    static let hostnameMismatch = 62  // X509_V_ERR_HOSTNAME_MISMATCH
    private static let ipAddressMismatch = 64  // X509_V_ERR_IP_ADDRESS_MISMATCH
    private static let notYetValid = 9  // X509_V_ERR_CERT_NOT_YET_VALID
    private static let expired = 10  // X509_V_ERR_CERT_HAS_EXPIRED
    /// Unknown issuer, self-signed, or a chain that ends outside the trusted CAs.
    private static let untrusted: Set<Int> = [2, 18, 19, 20, 21]

    private static func brokerCertificate(_ text: String, code: Int, _ target: Target, names: [String]) -> String {
        let advice: String
        switch code {
        case hostnameMismatch, ipAddressMismatch:
            let named = names.isEmpty ? "" : " (it is for \(names.joined(separator: ", ")))"
            advice =
                "the broker's certificate is not for host \(target.host)\(named); set mqtt.host to a name in it, "
                + "or have the broker's certificate issued for \(target.host)"
        case expired:
            advice =
                "renew the broker's certificate, or fix this gateway's clock if it is wrong (timedatectl)"
        case notYetValid:
            advice = "this gateway's clock is probably behind (timedatectl), or the certificate starts in the future"
        case _ where untrusted.contains(code):
            let trusted = target.tls.caFile.map { "mqtt.tls.ca_file (\($0))" } ?? "the system trust store"
            advice =
                "the broker's certificate is not issued by a CA in \(trusted); set mqtt.tls.ca_file to the CA "
                + "that issued it"
        default:
            advice = "check mqtt.tls.ca_file and the broker's certificate"
        }
        return "TLS: the broker's certificate did not verify: \(text) (\(advice))"
    }

    // MARK: - Alerts from the broker

    private static func alerted(_ alert: String, _ target: Target) -> String {
        let cert = target.tls.certFile.map { "mqtt.tls.cert_file (\($0))" } ?? "the client certificate"
        switch alert {
        case "certificate required":
            guard target.tls.certFile != nil else {
                return "TLS: the broker requires a client certificate and none is configured (alert: certificate "
                    + "required); set mqtt.tls.cert_file and mqtt.tls.key_file"
            }
            return "TLS: the broker requires a client certificate and none was sent (alert: certificate "
                + "required); check mqtt.tls.cert_file and mqtt.tls.key_file"
        case "unknown ca":
            return "TLS: the broker rejected the client certificate (alert: unknown ca): it does not trust the CA "
                + "that issued \(cert); use a certificate from the CA the broker's listener trusts (mosquitto: cafile)"
        case "certificate expired":
            return "TLS: the broker rejected the client certificate (alert: certificate expired): \(cert) has "
                + "expired or is not valid yet (or a clock is wrong); renew it (edge-ledger check-config shows it)"
        case "bad certificate", "unsupported certificate", "certificate unknown", "certificate revoked",
            "access denied", "decrypt error":
            return "TLS: the broker rejected the client certificate (alert: \(alert)): check that \(cert) is "
                + "issued for client authentication by a CA the broker trusts, and matches mqtt.tls.key_file"
        case "handshake failure":
            let missing =
                target.tls.certFile == nil
                ? "it may require a client certificate (set mqtt.tls.cert_file and key_file), or " : ""
            return "TLS: the broker ended the handshake (alert: handshake failure): \(missing)it shares no "
                + "TLS version or cipher with this gateway"
        default:
            return "TLS: the broker ended the handshake (alert: \(alert))"
        }
    }

    // MARK: - Parsing libmosquitto's lines

    /// The reason of an "OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed"
    /// line ("certificate verify failed"), or `nil` for other lines.
    static func openSSLReason(_ line: String) -> String? {
        guard line.hasPrefix("OpenSSL Error") else { return nil }
        // OpenSSL 3: "error:CODE:LIBRARY::REASON"; 1.1: "error:CODE:LIBRARY:FUNCTION:REASON".
        guard let last = line.split(separator: ":", omittingEmptySubsequences: false).last else { return nil }
        let reason = last.trimmingSpaces()
        return reason.isEmpty ? nil : reason
    }

    /// "unknown ca" for "tlsv1 alert unknown ca", "sslv3 alert certificate expired" likewise.
    static func alert(_ reason: String) -> String? {
        guard let range = reason.firstRange(of: "alert ") else { return nil }
        let alert = reason[range.upperBound...].trimmingSpaces()
        return alert.isEmpty ? nil : alert
    }

    private static func trimmed(_ line: String) -> String {
        var text = line.trimmingSpaces()
        if text.hasPrefix("Error: ") { text = String(text.dropFirst("Error: ".count)) }
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces.
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

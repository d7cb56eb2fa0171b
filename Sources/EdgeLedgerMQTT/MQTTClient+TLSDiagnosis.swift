import CMosquitto
import COpenSSL
import Synchronization

extension MQTTClient {
    /// Starts listening to libmosquitto's log for one connection attempt over TLS: its error and
    /// warning lines (OpenSSL's errors among them) and OpenSSL's verdict on the broker's
    /// certificate say why a handshake failed, which its return codes do not.
    ///
    /// The log callback is installed only until the broker accepts the connection: with it,
    /// libmosquitto formats a line for every packet (two per reading), which ingest must not pay.
    func beginTLSDiagnosis() {
        guard options.tls != nil else { return }
        tlsDiagnosis.withLock { $0 = MQTTTLSDiagnosis() }
        mosquitto_log_callback_set(mosq) { _, obj, level, text in
            guard let text else { return }
            MQTTClient.from(obj).handleLog(level: level, text: text)
        }
    }

    /// The broker accepted the connection: stop listening to libmosquitto's log.
    func endTLSDiagnosis() {
        guard options.tls != nil else { return }
        mosquitto_log_callback_set(mosq, nil)
        tlsDiagnosis.withLock { $0 = MQTTTLSDiagnosis() }
    }

    /// On the network thread, inside libmosquitto: the SSL object of the failing handshake still
    /// exists here (libmosquitto frees it before its call returns), so its verify result is read now.
    private func handleLog(level: Int32, text: UnsafePointer<CChar>) {
        guard level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING) != 0 else { return }
        let line = String(cString: text)
        var verify: MQTTTLSDiagnosis.VerifyResult? = nil
        var names: [String] = []
        if level & MOSQ_LOG_ERR != 0, let ssl = mosquitto_ssl_get(mosq).map(OpaquePointer.init) {
            let code = SSL_get_verify_result(ssl)
            if code != X509_V_OK {
                verify = .init(code: code, text: String(cString: X509_verify_cert_error_string(code)))
            }
            names = Self.brokerCertificateNames(ssl)
        }
        tlsDiagnosis.withLock { diagnosis in
            diagnosis.record(line)
            if diagnosis.verifyResult == nil { diagnosis.verifyResult = verify }
            if diagnosis.brokerNames.isEmpty { diagnosis.brokerNames = names }
        }
    }

    /// The DNS names and IP addresses (subjectAltName) of the certificate the broker presented
    /// in the handshake on `ssl`, at most ``MQTTTLSDiagnosis/maxNames``: what mqtt.host may be.
    private static func brokerCertificateNames(_ ssl: OpaquePointer) -> [String] {
        // The chain the broker sent is kept even when its verification failed; the leaf is first.
        guard let chain = SSL_get_peer_cert_chain(ssl), OPENSSL_sk_num(chain) > 0,
            let leaf = OPENSSL_sk_value(chain, 0),
            let extensionValue = X509_get_ext_d2i(OpaquePointer(leaf), NID_subject_alt_name, nil, nil)
        else { return [] }
        let altNames = OpaquePointer(extensionValue)
        defer { GENERAL_NAMES_free(altNames) }
        var names: [String] = []
        for i in 0..<OPENSSL_sk_num(altNames) where names.count < MQTTTLSDiagnosis.maxNames {
            guard let raw = OPENSSL_sk_value(altNames, i) else { continue }
            let name = raw.assumingMemoryBound(to: GENERAL_NAME.self).pointee
            switch name.type {
            case GEN_DNS: names.append("DNS:" + asciiText(name.d.dNSName))
            case GEN_IPADD: names.append("IP:" + ipAddressText(name.d.iPAddress))
            default: continue
            }
        }
        return names
    }

    private static func bytes(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> UnsafeBufferPointer<UInt8> {
        guard let string, let data = ASN1_STRING_get0_data(string) else {
            return UnsafeBufferPointer(start: nil, count: 0)
        }
        return UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string)))
    }

    private static func asciiText(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String {
        let printable = bytes(string).prefix(MQTTTLSDiagnosis.maxNameLength).map { $0 >= 0x20 && $0 < 0x7f ? $0 : 0x3f }
        return String(decoding: printable, as: UTF8.self)
    }

    private static func ipAddressText(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String {
        let address = Array(bytes(string))
        if address.count == 4 { return address.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: address.count - 1, by: 2).map {
            String(UInt16(address[$0]) << 8 | UInt16(address[$0 + 1]), radix: 16)
        }
        return groups.joined(separator: ":")
    }

    /// Why an attempt ended with libmosquitto's `rc`: over TLS, what the handshake's log says
    /// and what to do; otherwise libmosquitto's text for `rc`.
    ///
    /// - Parameters:
    ///   - reachedBroker: the TCP (and, for a blocking connect, TLS) connection was made.
    ///   - connected: the broker accepted CONNECT.
    func failureReason(_ rc: Int32, reachedBroker: Bool, connected: Bool) -> String {
        let plain = MQTTError.describe(rc)
        guard let tls = options.tls, !connected else { return plain }
        let diagnosis = tlsDiagnosis.withLock { $0 }
        let target = MQTTTLSDiagnosis.Target(host: options.host, port: options.port, tls: tls)
        if let explained = diagnosis.explanation(for: target) { return explained }
        guard reachedBroker else { return plain }
        return "\(plain) before the broker answered CONNECT over TLS; a broker that requires client "
            + "certificates closes the connection when it rejects one: check mqtt.tls.cert_file and key_file"
    }
}

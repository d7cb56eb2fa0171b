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
        if level & MOSQ_LOG_ERR != 0, let ssl = mosquitto_ssl_get(mosq) {
            let code = SSL_get_verify_result(OpaquePointer(ssl))
            if code != X509_V_OK {
                verify = .init(code: code, text: String(cString: X509_verify_cert_error_string(code)))
            }
        }
        tlsDiagnosis.withLock { diagnosis in
            diagnosis.record(line)
            if diagnosis.verifyResult == nil { diagnosis.verifyResult = verify }
        }
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

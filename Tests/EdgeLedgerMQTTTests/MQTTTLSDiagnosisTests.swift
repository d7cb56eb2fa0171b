import Testing

@testable import EdgeLedgerMQTT

@Suite("TLS diagnosis and retry reminders")
struct MQTTTLSDiagnosisTests {
    private let target = MQTTTLSDiagnosis.Target(
        host: "broker.plant", port: 8883, tls: .init(caFile: "/etc/ca.pem", certFile: "/etc/gw.crt", keyFile: "/k"))

    @Test("a hostile broker's flood of log lines is kept bounded")
    func boundedLines() {
        var diagnosis = MQTTTLSDiagnosis()
        let long = String(repeating: "x", count: 10_000)
        for _ in 0..<10_000 { diagnosis.record("OpenSSL Error[0]: error:0A000000:SSL routines::" + long) }
        #expect(diagnosis.lines.count == MQTTTLSDiagnosis.maxLines)
        #expect(diagnosis.lines.allSatisfy { $0.count <= MQTTTLSDiagnosis.maxLineLength })
        #expect(diagnosis.dropped == 10_000 - MQTTTLSDiagnosis.maxLines)
        let reason = diagnosis.explanation(for: target) ?? ""
        #expect(reason.count < 2_000, "\(reason.count)")
    }

    @Test("OpenSSL 3 and 1.1 error lines, alerts and libmosquitto's own lines are explained")
    func explanations() {
        func explain(_ lines: [String], verify: MQTTTLSDiagnosis.VerifyResult? = nil) -> String? {
            var diagnosis = MQTTTLSDiagnosis()
            for line in lines { diagnosis.record(line) }
            diagnosis.verifyResult = verify
            return diagnosis.explanation(for: target)
        }
        #expect(explain([]) == nil)
        let expired = explain(
            ["OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed"],
            verify: .init(code: 10, text: "certificate has expired"))
        #expect(expired?.contains("did not verify: certificate has expired (renew the broker's certificate") == true)
        let old = explain(["OpenSSL Error[0]: error:14094418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca"])
        #expect(old?.contains("(alert: unknown ca)") == true && old?.contains("/etc/gw.crt") == true)
        let plaintext = explain(["OpenSSL Error[0]: error:0A00010B:SSL routines::wrong version number"])
        #expect(plaintext?.contains("port 8883 is probably a plaintext listener") == true)
        let key = explain(["Error: Client certificate/key are inconsistent."])
        #expect(key?.hasPrefix("TLS: Client certificate/key are inconsistent; check mqtt.tls.cert_file") == true)
    }

    @Test("the same failure is reported once, then reminded every interval with attempts and since")
    func retryTracker() {
        var tracker = MQTTRetryTracker(interval: 60)
        #expect(tracker.failed(reason: "a", now: 0, retryIn: 1, wall: 1_000) == .report)
        #expect(tracker.failed(reason: "a", now: 30, retryIn: 20, wall: 2_000) == .quiet)
        // The next failure would come after the interval: remind now, with "next attempt in".
        #expect(
            tracker.failed(reason: "a", now: 45, retryIn: 20, wall: 3_000)
                == .remind(attempts: 3, sinceNanoseconds: 1_000))
        #expect(tracker.failed(reason: "a", now: 65, retryIn: 30, wall: 4_000) == .quiet)
        #expect(tracker.failed(reason: "b", now: 95, retryIn: 60, wall: 5_000) == .report)
        #expect(
            tracker.failed(reason: "b", now: 155, retryIn: 60, wall: 6_000)
                == .remind(attempts: 6, sinceNanoseconds: 1_000))
        tracker.connected()
        #expect(tracker.failed(reason: "b", now: 300, retryIn: 1, wall: 7_000) == .report)
        #expect(
            tracker.failed(reason: "b", now: 361, retryIn: 1, wall: 8_000)
                == .remind(attempts: 2, sinceNanoseconds: 7_000))
        var never = MQTTRetryTracker(interval: 0)
        #expect(never.failed(reason: "a", now: 0, retryIn: 1, wall: 0) == .report)
        #expect(never.failed(reason: "a", now: 1e6, retryIn: 1, wall: 0) == .quiet)
    }
}

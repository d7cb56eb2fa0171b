import EdgeLedgerMQTT
import EdgeLedgerTestSupport
import Foundation
import Testing

/// The agent (the real `edge-ledger run`) against a mosquitto TLS listener that requires client
/// certificates.
@Suite("Agent over TLS to the broker", .serialized)
struct AgentTLSTests {
    /// A PKI (in the folder returned: keep it) with a good (`client`) and an expired (`expired`) client certificate, a broker
    /// requiring client certificates, and an agent configured with `<client>.crt`.
    private static func setUp(client: String) throws -> (TestPKI, TemporaryFolder, AgentHarness) {
        let folder = try TemporaryFolder(prefix: "agent-tls")
        let pki = try TestPKI(directory: folder.url)
        try pki.issue("client", subject: "/CN=gw-1")
        try pki.issue("expired", subject: "/CN=gw-1", notBefore: "20200101000000Z", notAfter: "20200102000000Z")
        let broker = try MosquittoBroker(persistence: false, tls: .init(pki: pki))
        let tls = """
            [mqtt.tls]
            ca_file = "\(pki.path("ca.crt"))"
            cert_file = "\(pki.path("\(client).crt"))"
            key_file = "\(pki.path("\(client).key"))"
            """
        return (pki, folder, try AgentHarness(broker: broker, extraConfig: tls))
    }

    @Test("readings are stored over TLS with a client certificate, with no certificate warning")
    func readingsOverTLS() throws {
        let (pki, folder, harness) = try Self.setUp(client: "client")
        defer { withExtendedLifetime(folder) {} }
        try harness.start()
        let tls = MQTTClientOptions.TLS(
            caFile: pki.path("ca.crt"), certFile: pki.path("client.crt"), keyFile: pki.path("client.key"))
        try Readings.publish(to: harness.broker, range: 0..<20, tls: tls)
        #expect(try harness.waitForEntries(20) == 20)
        #expect(harness.stop() == 0)
        #expect(!harness.log.contains("client certificate:"), "\(harness.log)")
    }

    @Test("an expired client certificate: a warning at start, and the broker's alert as the disconnect reason")
    func expiredClientCertificate() throws {
        let (pki, folder, harness) = try Self.setUp(client: "expired")
        defer { withExtendedLifetime(folder) {} }
        try harness.launch()
        let warning = harness.waitForLogLine(containing: "client certificate: mqtt.tls.cert_file:")
        let disconnected = harness.waitForLogLine(containing: "broker disconnected")
        harness.stop()
        #expect(
            warning?.contains("\(pki.path("expired.crt")) expired on 2020-01-02T00:00:00Z") == true, "\(harness.log)")
        #expect(
            disconnected?.contains("(TLS: the broker rejected the client certificate (alert: certificate expired)")
                == true, "\(harness.log)")
    }
}

import EdgeLedgerMQTT
import EdgeLedgerTestSupport
import Foundation
import Testing

/// A PKI for a mosquitto TLS listener that requires client certificates: the CA (`ca`), the
/// broker for localhost (`server`) and for another host (`elsewhere`), a good client
/// certificate (`client`), one from an unrelated CA (`stranger`), an expired one (`expired`).
private struct TLSFixture {
    let folder: TemporaryFolder
    let pki: TestPKI

    init() throws {
        folder = try TemporaryFolder(prefix: "mqtt-tls")
        pki = try TestPKI(directory: folder.url)
        try pki.makeOtherCA("other")
        try "subjectAltName=DNS:broker.example\n".write(
            to: folder.url.appendingPathComponent("elsewhere.ext"), atomically: true, encoding: .utf8)
        try pki.issue("elsewhere", subject: "/CN=broker.example", extensions: "elsewhere.ext")
        try pki.issue("client", subject: "/CN=gw-1")
        try pki.issue("stranger", subject: "/CN=gw-1", ca: "other")
        try pki.issue("expired", subject: "/CN=gw-1", notBefore: "20200101000000Z", notAfter: "20200102000000Z")
    }

    /// A broker requiring client certificates, presenting `<server>.crt`.
    func broker(server: String = "server") throws -> MosquittoBroker {
        try MosquittoBroker(persistence: false, tls: .init(pki: pki, server: server))
    }

    /// Client TLS settings trusting `<ca>.crt`, with the client certificate `<client>.crt` if any.
    func tls(ca: String = "ca", client: String? = "client") -> MQTTClientOptions.TLS {
        .init(
            caFile: pki.path("\(ca).crt"), certFile: client.map { pki.path("\($0).crt") },
            keyFile: client.map { pki.path("\($0).key") })
    }

    /// A started client for `broker` at `host`, reporting into `inbox`.
    func client(
        _ broker: MosquittoBroker, _ inbox: Inbox, tls: MQTTClientOptions.TLS, host: String = "localhost",
        retryReportInterval: Double = 60
    ) throws -> MQTTClient {
        let options = MQTTClientOptions(
            host: host, port: broker.port, clientID: "gw-\(UUID().uuidString.prefix(6))", tls: tls,
            reconnectInitial: 0.1, reconnectMax: 0.2,
            subscriptions: [MQTTSubscription(filter: "plant/+/telemetry", qos: 1)],
            retryReportInterval: retryReportInterval)
        let client = try MQTTClient(
            options: options, onMessage: { inbox.handle($0) },
            onState: { s in inbox.states.withLock { $0.append(s) } })
        try client.start()
        return client
    }

    /// The reason of the first failed attempt of a client with `tls` at `host`.
    func firstFailure(
        _ broker: MosquittoBroker, tls: MQTTClientOptions.TLS, host: String = "localhost"
    ) throws
        -> String
    {
        let inbox = Inbox()
        let client = try client(broker, inbox, tls: tls, host: host)
        defer { client.stop() }
        return try #require(inbox.waitDisconnected(), "no disconnected state: \(inbox.states.withLock { $0 })")
    }
}

@Suite("MQTT over TLS with client certificates", .serialized)
struct MQTTClientTLSTests {
    @Test("readings flow over TLS with a client certificate")
    func happyPath() throws {
        let fixture = try TLSFixture()
        let broker = try fixture.broker()
        let inbox = Inbox()
        let client = try fixture.client(broker, inbox, tls: fixture.tls())
        #expect(inbox.waitConnected())
        usleep(200_000)  // SUBACK
        let publisher = try MQTTPublisher(clientID: "pub-\(UUID().uuidString.prefix(6))")
        try publisher.connect(host: "localhost", port: broker.port, tls: fixture.tls())
        for i in 0..<50 { try publisher.publish(topic: "plant/a/telemetry", payload: Array("\(i)".utf8), qos: 1) }
        #expect(publisher.drain())
        publisher.disconnect()
        #expect(inbox.wait(for: 50))
        client.stop()
        #expect(inbox.disconnectReasons.isEmpty)
    }

    @Test("a CA that did not issue the broker's certificate: OpenSSL's verify result and ca_file")
    func wrongCA() throws {
        let fixture = try TLSFixture()
        let broker = try fixture.broker()
        let reason = try fixture.firstFailure(broker, tls: fixture.tls(ca: "other"))
        #expect(reason.contains("the broker's certificate did not verify"), "\(reason)")
        // The broker sends its CA along (OpenSSL completes its chain from mosquitto's cafile).
        #expect(reason.contains("self-signed certificate in certificate chain"), "\(reason)")
        #expect(
            reason.contains("not issued by a CA in mqtt.tls.ca_file (\(fixture.pki.path("other.crt")))"), "\(reason)")
    }

    @Test("a host name the broker's certificate is not for: hostname mismatch, its names and mqtt.host")
    func wrongHost() throws {
        let fixture = try TLSFixture()
        let broker = try fixture.broker(server: "elsewhere")
        let reason = try fixture.firstFailure(broker, tls: fixture.tls())
        #expect(reason.contains("did not verify: hostname mismatch"), "\(reason)")
        #expect(reason.contains("not for host localhost (it is for DNS:broker.example); set mqtt.host"), "\(reason)")
    }

    @Test("a client certificate from another CA: the broker's unknown-ca alert")
    func clientCertificateFromAnotherCA() throws {
        let fixture = try TLSFixture()
        let broker = try fixture.broker()
        let reason = try fixture.firstFailure(broker, tls: fixture.tls(client: "stranger"))
        #expect(reason.contains("the broker rejected the client certificate (alert: unknown ca)"), "\(reason)")
        #expect(reason.contains(fixture.pki.path("stranger.crt")), "\(reason)")
    }

    @Test("an expired client certificate: the broker's certificate-expired alert")
    func expiredClientCertificate() throws {
        let fixture = try TLSFixture()
        let broker = try fixture.broker()
        let reason = try fixture.firstFailure(broker, tls: fixture.tls(client: "expired"))
        #expect(reason.contains("rejected the client certificate (alert: certificate expired)"), "\(reason)")
        #expect(reason.contains("renew it"), "\(reason)")
    }

    @Test("no client certificate: the broker's certificate-required alert and what to set")
    func missingClientCertificate() throws {
        let fixture = try TLSFixture()
        let broker = try fixture.broker()
        let reason = try fixture.firstFailure(broker, tls: fixture.tls(client: nil))
        #expect(reason.contains("requires a client certificate and none is configured"), "\(reason)")
        #expect(reason.contains("set mqtt.tls.cert_file and mqtt.tls.key_file"), "\(reason)")
    }

    @Test("the same failure repeated: a periodic still-retrying reminder with the cause, attempts and since")
    func stillRetryingReminder() throws {
        let fixture = try TLSFixture()
        let broker = try fixture.broker()
        let inbox = Inbox()
        let client = try fixture.client(broker, inbox, tls: fixture.tls(ca: "other"), retryReportInterval: 0.5)
        let deadline = Date().addingTimeInterval(15)
        var reminders: [MQTTConnectionState] = []
        while reminders.count < 2 && Date() < deadline {
            usleep(20_000)
            reminders = inbox.states.withLock { $0 }.filter { if case .retrying = $0 { true } else { false } }
        }
        client.stop()
        #expect(inbox.disconnectReasons.count == 1, "the reason itself once: \(inbox.disconnectReasons)")
        try #require(reminders.count >= 2, "\(inbox.states.withLock { $0 })")
        guard case .retrying(let reason, _, let attempts, let since) = reminders[1] else { return }
        #expect(reason == inbox.disconnectReasons.first)
        #expect(reason.contains("the broker's certificate did not verify"))
        #expect(attempts >= 3)
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        #expect(since <= now && since > now - 20_000_000_000)
        let line = reminders[1].description
        #expect(line.hasPrefix("still retrying, next attempt in "), "\(line)")
        #expect(line.contains("failed attempts since "), "\(line)")
    }
}

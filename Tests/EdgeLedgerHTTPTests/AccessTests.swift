import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import Hummingbird
import HummingbirdTesting
import Metrics
import Prometheus
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP

/// Authentication, anonymous access, health, metrics, the checkpoint endpoint and the prefix.
@Suite("access, health, metrics, checkpoint")
struct AccessTests {
    @Test("Reads need a token unless http.allow_anonymous_read; wrong tokens are always 401")
    func anonymousRead() async throws {
        let f = SharedFixtures.small
        let reads = ["/checkpoint", "/tile/0/000", "/tile/entries/000", "/proof/1"]
        try await withLiveAPI(f) { client in
            for uri in reads {
                var r = try await client.execute(uri: uri, method: .get)
                #expect(r.status == .unauthorized, "\(uri)")
                #expect(r.headers[.wwwAuthenticate] == "Bearer realm=\"edge-ledger\"")
                #expect(r.text.contains("authentication required"))
                r = try await client.execute(uri: uri, method: .get, headers: TestTokens.bearer(TestTokens.reader))
                #expect(r.status == .ok, "\(uri)")
                r = try await client.execute(uri: uri, method: .get, headers: TestTokens.bearer(TestTokens.upstream))
                #expect(r.status == .ok, "\(uri)")
            }
            for header in [
                "Bearer \(TestTokens.unknown)", "Basic dXNlcjpwYXNz", "Bearer", "Bearer  ", TestTokens.reader,
            ] {
                let r = try await client.execute(uri: "/checkpoint", method: .get, headers: [.authorization: header])
                #expect(r.status == .unauthorized, "\(header)")
            }
            // Scheme is case-insensitive.
            let r = try await client.execute(
                uri: "/checkpoint", method: .get, headers: [.authorization: "bearer \(TestTokens.reader)"])
            #expect(r.status == .ok)
        }
        var http = HTTPConfiguration(tokens: TestTokens.configured)
        http.allowAnonymousRead = true
        try await withLiveAPI(f, http: http) { client in
            for uri in reads {
                let r = try await client.execute(uri: uri, method: .get)
                #expect(r.status == .ok, "\(uri)")
            }
            let r = try await client.execute(
                uri: "/checkpoint", method: .get, headers: TestTokens.bearer(TestTokens.unknown))
            #expect(r.status == .unauthorized)
        }
    }

    @Test("/healthz and /readyz are anonymous; /readyz reports the status's problems")
    func health() async throws {
        let status = TestStatus()
        try await withLiveAPI(SharedFixtures.small, status: status) { client in
            var r = try await client.execute(uri: "/healthz", method: .get)
            #expect(r.status == .ok)
            #expect(r.text == "ok\n")
            r = try await client.execute(uri: "/readyz", method: .get)
            #expect(r.status == .ok)
            #expect(r.text == "ready\n")
            status.set(["MQTT broker not connected", "store not writable: disk full"])
            r = try await client.execute(uri: "/readyz", method: .get)
            #expect(r.status == .serviceUnavailable)
            #expect(r.text == "not ready\nMQTT broker not connected\nstore not writable: disk full\n")
            r = try await client.execute(uri: "/healthz", method: .get)
            #expect(r.status == .ok)
        }
    }

    @Test("/metrics prints the registry; anonymous only with metrics.allow_anonymous")
    func metrics() async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "edge_ledger", metricName: "test_readings", unitName: "total", helpText: "A test counter.")
        ).increment(by: Int64(7))
        let factory = PrometheusMetricsFactory(registry: registry)
        try await withLiveAPI(SharedFixtures.small, registry: registry, metricsFactory: factory) { client in
            var r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .unauthorized)
            _ = try await client.execute(
                uri: "/checkpoint", method: .get, headers: TestTokens.bearer(TestTokens.reader))
            r = try await client.execute(uri: "/metrics", method: .get, headers: TestTokens.bearer(TestTokens.reader))
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(
                r.text.contains("# TYPE edge_ledger_test_readings_total counter\nedge_ledger_test_readings_total 7\n"))
            #expect(r.text.contains("edge_ledger_http_requests_total{endpoint=\"/checkpoint\",code=\"200\"} 1"))
            #expect(r.text.contains("edge_ledger_http_requests_total{endpoint=\"/metrics\",code=\"401\"} 1"))
            #expect(r.text.contains("edge_ledger_http_request_duration_seconds_bucket{endpoint=\"/checkpoint\""))
        }
        let anonymous = MetricsConfiguration(enabled: true, allowAnonymous: true)
        try await withLiveAPI(SharedFixtures.small, metrics: anonymous, registry: registry) { client in
            let r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .ok)
            #expect(r.text.contains("edge_ledger_test_readings_total 7"))
        }
        let disabled = MetricsConfiguration(enabled: false, allowAnonymous: true)
        try await withLiveAPI(SharedFixtures.small, metrics: disabled, registry: registry) { client in
            let r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .notFound)
        }
    }

    @Test("/checkpoint serves the signed note with stored cosignatures appended")
    func checkpoint() async throws {
        let f = try LedgerFixture(count: 300, sealAt: [])
        // Without cosignatures: exactly the stored note.
        let note = try f.note(size: 300)
        try await withLiveAPI(f) { client in
            let r = try await client.execute(
                uri: "/checkpoint", method: .get, headers: TestTokens.bearer(TestTokens.reader))
            #expect(r.status == .ok)
            #expect(r.text == note)
            #expect(r.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(r.headers[.cacheControl] == "no-store")
        }
        // A witness cosigns (a signature line over the same checkpoint text).
        let witnessKey = try PrivateKey.generate(.ed25519)
        let body = try Note(parsing: note).text
        let cosigned = try NoteSigning.sign(
            text: body, with: [NoteKeys.signer(for: witnessKey, name: "witness.example")])
        let line = try #require(cosigned.signatures.first).line
        try f.store.addCosignature(
            Cosignature(checkpointSize: 300, witness: "witness.example", line: line, receivedAt: 1))
        try await withLiveAPI(f) { client in
            let r = try await client.execute(
                uri: "/checkpoint", method: .get, headers: TestTokens.bearer(TestTokens.reader))
            #expect(r.text == note + line + "\n")
            let served = try Note(parsing: r.text)
            #expect(served.signatures.count == 2)
            let witness = NoteKeys.verifier(for: witnessKey.publicKey, name: "witness.example")
            let verified = try NoteSigning.open(served, verifiers: [f.verifier, witness])
            #expect(verified.count == 2)
            // The proof bundle carries the cosigned checkpoint too.
            let proof = try await client.execute(
                uri: "/proof/5", method: .get, headers: TestTokens.bearer(TestTokens.reader))
            #expect(try TLogProof(parsing: proof.text).checkpoint == note + line + "\n")
        }
    }

    @Test("Everything lives under http.prefix")
    func prefix() async throws {
        var http = HTTPConfiguration(tokens: TestTokens.configured)
        http.prefix = "/ledger/v1"
        let f = SharedFixtures.small
        try await withLiveAPI(f, http: http) { client in
            let auth = TestTokens.bearer(TestTokens.reader)
            var r = try await client.execute(uri: "/ledger/v1/checkpoint", method: .get, headers: auth)
            #expect(r.status == .ok)
            r = try await client.execute(uri: "/ledger/v1/tile/0/001.p/44", method: .get, headers: auth)
            #expect(r.bytes == f.expectedTile(level: 0, index: 1, width: 44))
            r = try await client.execute(uri: "/ledger/v1/healthz", method: .get)
            #expect(r.status == .ok)
            for uri in ["/checkpoint", "/tile/0/000", "/healthz", "/ledger/checkpoint"] {
                r = try await client.execute(uri: uri, method: .get, headers: auth)
                #expect(r.status == .notFound, "\(uri)")
            }
        }
    }

    @Test("Unknown paths and methods get short plain-text answers")
    func unknown() async throws {
        try await withLiveAPI(SharedFixtures.small) { client in
            var r = try await client.execute(uri: "/nothing/here", method: .get)
            #expect(r.status == .notFound)
            #expect(r.headers[.contentType] == "text/plain; charset=utf-8")
            r = try await client.execute(
                uri: "/checkpoint", method: .delete, headers: TestTokens.bearer(TestTokens.reader))
            #expect(r.status == .methodNotAllowed || r.status == .notFound)
            #expect(r.headers[.contentType] == "text/plain; charset=utf-8")
            // HEAD works for GET endpoints.
            r = try await client.execute(
                uri: "/tile/0/000", method: .head, headers: TestTokens.bearer(TestTokens.reader))
            #expect(r.status == .ok)
            #expect(r.headers[.contentLength] == "8192")
        }
    }
}

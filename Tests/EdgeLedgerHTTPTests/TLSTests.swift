import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOSSL
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP

/// TLS and mutual TLS over real loopback connections, with certificates made by `openssl`.
@Suite("TLS", .enabled(if: TestPKI.available))
struct TLSTests {
    /// Runs the service in a service group, calls `body` with its port, then shuts it down.
    static func withService<Value: Sendable>(
        _ fixture: LedgerFixture, http: HTTPConfiguration, upstreams: [UpstreamPeerConfiguration],
        _ body: @Sendable (Int) async throws -> Value
    ) async throws -> Value {
        var logger = Logger(label: "edge-ledger.http.tls-test")
        logger.logLevel = .critical
        return try await RunningService.with(logger: logger) { onServerRunning in
            try LedgerAPIService(
                http: http, upstreams: upstreams, storePath: fixture.storePath, hasher: sha256,
                acknowledger: fixture.store, status: LedgerAPIStatusClosure { .ready }, logger: logger,
                onServerRunning: onServerRunning)
        } _: { port in
            try await body(port)
        }
    }

    static func client(
        port: Int, pki: TestPKI, certificate: String?, _ body: @escaping @Sendable (TestClient) async throws -> Void
    ) async throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.path("ca.crt")))
        if let certificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(pki.path("\(certificate).crt")).map {
                .certificate($0)
            }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: pki.path("\(certificate).key"), format: .pem))
        }
        try await TestClient.withClient(
            host: "localhost", port: port,
            configuration: .init(tlsConfiguration: tls, timeout: .seconds(5), serverName: "localhost")
        ) { client in try await body(client) }
    }

    @Test("TLS with bearer tokens")
    func tlsWithTokens() async throws {
        let f = try LedgerFixture(count: 300, sealAt: [])
        let pki = try TestPKI(directory: f.directory)
        var http = HTTPConfiguration(listen: HostPort(host: "127.0.0.1", port: 0), tokens: TestTokens.configured)
        http.tls = HTTPServerTLSConfiguration(certFile: pki.path("server.crt"), keyFile: pki.path("server.key"))
        try await TLSTests.withService(f, http: http, upstreams: []) { port in
            try await TLSTests.client(port: port, pki: pki, certificate: nil) { client in
                var r = try await client.get("/tile/0/000", headers: TestTokens.bearer(TestTokens.reader))
                #expect(r.status == .ok)
                #expect(r.body.map { Array($0.readableBytesView) } == f.expectedTile(level: 0, index: 0, width: 256))
                r = try await client.get("/tile/0/000")
                #expect(r.status == .unauthorized)
            }
        }
    }

    @Test("Mutual TLS: the certificate subject identifies the client and its upstream")
    func mutualTLS() async throws {
        let f = try LedgerFixture(count: 300, sealAt: [])
        let pki = try TestPKI(directory: f.directory)
        try pki.issue("dc1", subject: "/O=Example/CN=dc-1")
        try pki.issue("stranger", subject: "/O=Example/CN=stranger")
        try pki.makeOtherCA("other")
        try pki.issue("forged", subject: "/O=Example/CN=dc-1", ca: "other")
        var http = HTTPConfiguration(listen: HostPort(host: "127.0.0.1", port: 0), tokens: TestTokens.configured)
        http.tls = HTTPServerTLSConfiguration(
            certFile: pki.path("server.crt"), keyFile: pki.path("server.key"), clientCAFile: pki.path("ca.crt"))
        let upstreams = [UpstreamPeerConfiguration(name: "dc-1", witness: false, clientSubject: "CN=dc-1, O=Example")]
        let ack = "{\"size\": 300}"
        try await TLSTests.withService(f, http: http, upstreams: upstreams) { port in
            // The upstream's certificate: reads, and acknowledges as dc-1 (fetched with it, proved).
            try await TLSTests.client(port: port, pki: pki, certificate: "dc1") { client in
                var r = try await client.get("/checkpoint")
                #expect(r.status == .ok)
                for path in ["/tile/entries/000", "/tile/entries/001.p/44"] {
                    #expect(try await client.get(path).status == .ok)
                }
                let challenge = try await client.post("/ack/challenge", body: ByteBuffer(string: ack))
                #expect(challenge.status == .ok)
                let answer = try AckTests.answer(
                    f, Array(challenge.body.map { Array($0.readableBytesView) } ?? []), size: 300)
                r = try await client.post("/ack", body: ByteBuffer(string: answer))
                #expect(r.status == .ok)
            }
            #expect(try f.store.upstream(named: "dc-1")?.ackedSize == 300)
            // Another valid certificate: may read, may not acknowledge.
            try await TLSTests.client(port: port, pki: pki, certificate: "stranger") { client in
                var r = try await client.get("/proof/7")
                #expect(r.status == .ok)
                r = try await client.post("/ack", body: ByteBuffer(string: ack))
                #expect(r.status == .forbidden)
                #expect(r.body.map { String(buffer: $0) }?.contains("CN=stranger,O=Example") == true)
            }
            // No certificate, or one from another CA: no connection.
            for certificate in [nil, "forged"] as [String?] {
                await #expect(throws: (any Error).self) {
                    try await TLSTests.client(port: port, pki: pki, certificate: certificate) { client in
                        _ = try await client.get("/healthz")
                    }
                }
            }
        }
    }

    @Test("Unreadable TLS files are reported at construction")
    func badFiles() throws {
        let f = try LedgerFixture(count: 1, sealAt: [])
        var http = HTTPConfiguration(tokens: TestTokens.configured)
        http.tls = HTTPServerTLSConfiguration(certFile: "/nonexistent/server.crt", keyFile: "/nonexistent/server.key")
        #expect {
            try LedgerAPIService(
                http: http, storePath: f.storePath, hasher: sha256, acknowledger: f.store,
                status: LedgerAPIStatusClosure { .ready })
        } throws: { error in
            (error as? HTTPSetupError)?.message.contains("/nonexistent/server.crt") == true
        }
    }
}

import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

@Suite("Mirror over mutual TLS")
struct MirrorTLSTests {
    @Test(
        "a client certificate listed in witness_clients authenticates the push; another gateway's is refused",
        .enabled(if: TestPKI.available))
    func clientCertificates() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(700)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: .sqlite)
        let pki = try TestPKI(directory: URL(fileURLWithPath: dir.path))
        try pki.issue("gw1", subject: "/O=Example/CN=gw-1")
        try pki.issue("gw2", subject: "/O=Example/CN=gw-2")  // another gateway's certificate
        let http = UpstreamHTTPConfiguration(
            listen: HostPort(host: "127.0.0.1", port: 0),
            tls: HTTPServerTLSConfiguration(
                certFile: pki.path("server.crt"), keyFile: pki.path("server.key"), clientCAFile: pki.path("ca.crt")),
            allowAnonymous: false)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let service = try WitnessService(
            witness: m.witness.witness, http: http, mirror: MirrorAPI.Endpoint(mirror: m.mirror, http: http),
            logger: testLogger("test.mirror"), onServerRunning: { continuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            func push(certificate: String) async throws -> String? {
                let upstream = UpstreamPeerConfiguration(
                    name: "dc-1", url: "https://localhost:\(port)/mirror",
                    tls: TLSClientConfiguration(
                        caFile: pki.path("ca.crt"), certFile: pki.path("\(certificate).crt"),
                        keyFile: pki.path("\(certificate).key")), mode: .push, mirrorKey: m.mirror.verifierKey.string)
                let pusher = try WitnessPusher(
                    store: gateway.store, upstreams: [upstream], logger: testLogger("test.push", level: .critical))
                let result = await pusher.pushOnce()["dc-1"]
                await pusher.shutdown()
                return result
            }
            let crossed = try await push(certificate: "gw2")
            #expect(crossed?.hasPrefix("HTTP 403") == true, "\(String(describing: crossed))")
            #expect(try await push(certificate: "gw1") == "ok")
            group.cancelAll()
        }
        try await MirrorTests.expectHolds(gateway, m, size: 700)
        #expect(try gateway.store.upstream(named: "dc-1")?.ackedSize == 700)
    }
}

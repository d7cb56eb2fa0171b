import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

@Suite("The upstream node with [mirror]: a gateway behind NAT pushes to it")
struct MirrorNodeTests {
    @Test("[mirror] serves <prefix>/mirror beside the witness; the push is stored, verified and counted")
    func nodeTakesPushes() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(1500)
        let witnessKey = dir.file("witness.pem")
        let mirrorKey = dir.file("mirror.pem")
        try KeyFile.save(try PrivateKey.generate(.ed25519), to: witnessKey)
        try KeyFile.save(try PrivateKey.generate(.ed25519), to: mirrorKey)
        var enrolled = gateway.gatewayConfiguration(url: "http://127.0.0.1:1")  // nobody listens: push only
        enrolled.witnessClients = ["gw-1"]
        let configuration = UpstreamConfiguration(
            witness: WitnessConfiguration(name: "witness.example/dc-1", keyFile: witnessKey),
            http: UpstreamHTTPConfiguration(
                listen: HostPort(host: "127.0.0.1", port: 0), prefix: "/v1", tokens: MirrorFixture.tokens),
            storage: UpstreamStorageConfiguration(path: dir.file("state/upstream.db"), durability: .process),
            gateways: [enrolled], mirror: MirrorConfiguration(name: "mirror.example/dc-1", keyFile: mirrorKey))
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let node = try UpstreamNode.make(
            configuration: configuration, logger: testLogger("test.node"), onServerRunning: { continuation.yield($0) })
        let key = try #require(try UpstreamNode.mirrorVerifierKey(configuration: configuration))
        #expect(key == node.mirror?.verifierKey)
        #expect(key != (try UpstreamNode.witnessVerifierKey(configuration: configuration)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await node.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let pusher = try WitnessPusher(
                store: gateway.store,
                upstreams: [
                    UpstreamPeerConfiguration(
                        name: "dc-1", url: "http://127.0.0.1:\(port)/v1/mirror", requiredForRetention: true,
                        token: ConfigSecret(value: "token-1"), mode: .push, mirrorKey: key.string)
                ], logger: testLogger("test.push"))
            #expect(await pusher.pushOnce() == ["dc-1": "ok"])
            await pusher.shutdown()
            #expect(try gateway.store.upstream(named: "dc-1")?.ackedSize == 1500)
            #expect(try await node.store.gatewayState(origin: gateway.origin)?.verifiedSize == 1500)
            func metrics() -> String {
                var text: [UInt8] = []
                node.registry.emit(into: &text)
                return String(decoding: text, as: UTF8.self)
            }
            #expect(metrics().contains("edge_ledger_mirror_entries_stored_total 1500"))
            // The collector's series of the gateway say what the push verified, as a pull's would
            // (this gateway is enrolled for pull from the file, so its failing pulls record too).
            #expect(
                try await WitnessPusherTests.eventually(20) {
                    metrics().contains(#"edge_ledger_collector_entries{gateway="test.example/gw-1"} 1500"#)
                })
            #expect(
                metrics().contains(#"edge_ledger_mirror_requests_total{endpoint="add-entries",outcome="committed"} 1"#))
            // The copy is served under the monitoring prefix, its checkpoint cosigned by the mirror.
            let reader = try PeerHTTPClient(
                baseURL: "http://127.0.0.1:\(port)/v1/logs/\(CollectedLogServer.originHash(gateway.origin))",
                token: "token-1", tls: nil, timeout: .seconds(10))
            let served = try await reader.get("checkpoint", limit: 1 << 16)
            await reader.shutdown()
            #expect(served.status == 200)
            let note = try Note(parsing: String(decoding: served.body, as: UTF8.self))
            #expect(try NoteSigning.open(note, verifiers: [try CosignatureV1Verifier(verifierKey: key)]).count == 1)
            group.cancelAll()
            while let _ = try? await group.next() {}
        }
    }

    @Test("a mirror key that is the witness's key (under another file name) is refused at start")
    func mirrorKeyMustDifferFromWitnessKey() throws {
        let dir = try TemporaryFolder()
        let key = try PrivateKey.generate(.ed25519)
        try KeyFile.save(key, to: dir.file("witness.pem"))
        try KeyFile.save(key, to: dir.file("copy.pem"))
        let configuration = UpstreamConfiguration(
            witness: WitnessConfiguration(name: "witness.example/dc-1", keyFile: dir.file("witness.pem")),
            storage: UpstreamStorageConfiguration(path: dir.file("upstream.db"), durability: .process),
            gateways: [], mirror: MirrorConfiguration(name: "mirror.example/dc-1", keyFile: dir.file("copy.pem")))
        #expect {
            try UpstreamNode.mirrorVerifierKey(configuration: configuration)
        } throws: { error in
            "\(error)".contains("the mirror's key is the witness's key")
        }
    }
}

import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

/// `gateways.require_signatures`: with Ed25519 and SM2 keys configured, a checkpoint whose SM2
/// line was stripped is refused by the collector and the witness (issue 11, finding 10).
@Suite("Required checkpoint signatures")
struct SignaturePolicyTests {
    /// Seals `gateway` with its Ed25519 key and `sm2`.
    static func sealWithBoth(_ gateway: GatewayFixture, sm2: PrivateKey) async throws -> CheckpointRecord {
        let signers = [gateway.signer, NoteKeys.signer(for: sm2, name: gateway.origin)]
        let origin = gateway.origin
        let result = try gateway.store.seal { request in
            try NoteSigning.sign(
                text: Checkpoint(origin: origin, size: request.size, root: request.root).text, with: signers
            ).serialized
        }
        return try #require(result).checkpoint
    }

    /// The note without its SM2 (type 0xff) signature line: the last of the two.
    static func stripped(_ note: String) throws -> String {
        let parsed = try Note(parsing: note)
        return Note(text: parsed.text, signatures: [parsed.signatures[0]]).serialized
    }

    @Test("the collector refuses a checkpoint without its SM2 line under the default policy (all keys)")
    func collectorRequiresEveryKey() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let sm2 = try PrivateKey.generate(.sm2)
        try gateway.append(300)
        _ = try await Self.sealWithBoth(gateway, sm2: sm2)
        let store = try CollectorStore(path: dir.file("upstream.db"), durability: .process)
        let server = try TestTileServer(gateway: gateway)
        server.setTamper { path, bytes in
            guard path == "checkpoint" else { return bytes }
            return Array(((try? SignaturePolicyTests.stripped(String(decoding: bytes, as: UTF8.self))) ?? "").utf8)
        }
        let keys = [gateway.verifierKey, NoteKeys.verifierKey(for: sm2, name: gateway.origin).string]
        try await withServer(server.router) { port in
            var configuration = gateway.gatewayConfiguration(url: "http://127.0.0.1:\(port)")
            configuration.verifierKeys = keys
            #expect(configuration.requireSignatures == .all)
            let strict = try GatewayCollector(
                gateway: configuration, store: store, logger: testLogger("test.collector", level: .critical))
            let report = await strict.pullOnce()
            guard case .refused(let why) = report.outcome else {
                Issue.record("expected a refusal, got \(report.outcome)")
                return
            }
            #expect(why.contains("lacks the signature of required key"), "\(why)")
            #expect(report.verifiedSize == 0 && report.ackedSize == 0)
            await strict.shutdown()
            // "any" keeps the signed-note rule.
            configuration.requireSignatures = .any
            let lenient = try GatewayCollector(
                gateway: configuration, store: store, logger: testLogger("test.collector", level: .critical))
            #expect(await lenient.pullOnce().outcome == .verified)
            await lenient.shutdown()
        }
    }

    @Test("the witness refuses to cosign a checkpoint without its SM2 line under the all-keys policy")
    func witnessRequiresEveryKey() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let sm2 = try PrivateKey.generate(.sm2)
        try gateway.append(10)
        let checkpoint = try await Self.sealWithBoth(gateway, sm2: sm2)
        let store = try CollectorStore(path: dir.file("witness.db"), durability: .process)
        let cosigner = try CosignatureV1Signer(name: "witness.example/w1", privateKey: PrivateKey.generate(.ed25519))
        let verifiers = [
            try NoteKeys.verifier(from: gateway.verifierKey),
            NoteKeys.verifier(for: sm2.publicKey, name: gateway.origin),
        ]
        let witness = Witness(
            cosigner: cosigner,
            logs: [
                WitnessedLog(origin: gateway.origin, verifiers: verifiers, hasher: OpenSSLHasher.sha256, policy: .all)
            ],
            // No collector here: the policy, not the bound by collection, is under test.
            store: store, boundFirstByCollection: false)
        let refused = await witness.addCheckpoint(
            body: Array(WitnessRequest.body(oldSize: 0, proof: [], note: try Self.stripped(checkpoint.note)).utf8))
        #expect(refused.status == 403, "\(refused.status) \(refused.body)")
        let accepted = await witness.addCheckpoint(
            body: Array(WitnessRequest.body(oldSize: 0, proof: [], note: checkpoint.note).utf8))
        #expect(accepted.status == 200)
    }
}

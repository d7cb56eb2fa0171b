import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

/// Cosignatures are kept only after verification (issue 11 finding 7).
@Suite("Cosignatures: verified before they are stored, served or anchored")
struct CosignatureTrustTests {
    @Test("a real witness answering with a forged line: nothing kept; the genuine line is kept and never replaced")
    func forgedLine() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(8)
        let genuine = try WitnessFixture(dir: dir, gateways: [gateway], file: "genuine.db")
        // The impostor runs a real witness under the genuine one's name, with its own key.
        let impostor = try WitnessFixture(dir: dir, gateways: [gateway], file: "impostor.db")
        let key = genuine.witness.verifierKey.string
        try await withServer(WitnessPusherTests.countingRouter(impostor, requests: OldSizes())) { port in
            let pusher = try WitnessPusher(
                store: gateway.store, upstreams: [WitnessPusherTests.upstream(port: port, verifierKey: key)],
                logger: testLogger("test.push", level: .critical))
            let result = await pusher.pushOnce()
            #expect(result["dc-1"]?.contains("does not verify") == true, "\(String(describing: result["dc-1"]))")
            await pusher.shutdown()
        }
        #expect(try gateway.store.reader.cosignatures(checkpointSize: 8).isEmpty)

        try await withServer(WitnessPusherTests.countingRouter(genuine, requests: OldSizes())) { port in
            let pusher = try WitnessPusher(
                store: gateway.store, upstreams: [WitnessPusherTests.upstream(port: port, verifierKey: key)],
                logger: testLogger("test.push", level: .critical))
            #expect(await pusher.pushOnce()["dc-1"] == "ok")
            await pusher.shutdown()
        }
        let kept = try #require(try gateway.store.reader.cosignatures(checkpointSize: 8).first)
        let note = try #require(try gateway.store.latestCheckpoint()).note
        let line = try NoteSignature(parsingLine: kept.line)
        _ = try NoteSigning.open(
            Note(text: try Note(parsing: note).text, signatures: [line]), verifiers: [genuine.verifier])

        // A forged line for the same checkpoint and witness never replaces the kept one.
        let forged = try impostor.witness.cosigner.cosign(text: try Note(parsing: note).text).line
        try gateway.store.addCosignature(
            Cosignature(checkpointSize: 8, witness: genuine.witness.name, line: forged, receivedAt: 1))
        #expect(try gateway.store.reader.cosignatures(checkpointSize: 8).map(\.line) == [kept.line])
    }

    @Test("a witness without a verifier (verify = false) is pushed to, but none of its lines is kept")
    func unverifiedLinesAreNotKept() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(8)
        let w = try WitnessFixture(dir: dir, gateways: [gateway])
        try await withServer(WitnessPusherTests.countingRouter(w, requests: OldSizes())) { port in
            var upstream = WitnessPusherTests.upstream(port: port, verifierKey: w.witness.verifierKey.string)
            upstream.verify = false
            let pusher = try WitnessPusher(
                store: gateway.store, upstreams: [upstream], logger: testLogger("test.push", level: .critical))
            #expect(await pusher.pushOnce()["dc-1"] == "ok")
            await pusher.shutdown()
        }
        #expect(try await w.store.witnessState(origin: gateway.origin)?.size == 8)  // the witness saw the log
        #expect(try gateway.store.reader.cosignatures(checkpointSize: 8).isEmpty)
    }

    @Test("the anchoring document lists only cosigners whose line verifies")
    func anchorListsVerifiedCosigners() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let checkpoint = try gateway.grow(5)
        let genuine = try WitnessFixture(dir: dir, gateways: [gateway], name: "witness.example/w1", file: "w1.db")
        let forger = try CosignatureV1Signer(name: "witness.example/w2", privateKey: PrivateKey.generate(.ed25519))
        let text = try Note(parsing: checkpoint.note).text
        var note = checkpoint.note
        note += try genuine.witness.cosigner.cosign(text: text).line + "\n"
        note += try forger.cosign(text: text).line + "\n"
        let forged = try CosignatureV1Signer(name: "witness.example/w1", privateKey: PrivateKey.generate(.ed25519))
        let onlyForged = checkpoint.note + (try forged.cosign(text: text).line) + "\n"
        func cosigners(_ note: String) -> String {
            let json = AnchorDocument.json(
                origin: gateway.origin, size: 5, root: checkpoint.root, hash: .sha256, note: note,
                cosigners: [genuine.verifier])
            return String(json[json.range(of: "\"cosigners\":")!.upperBound...])
        }
        #expect(cosigners(note).hasPrefix("[\"witness.example/w1\"]"))
        #expect(cosigners(onlyForged).hasPrefix("[]"))
    }
}

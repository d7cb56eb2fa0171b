import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Hummingbird
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

@Suite("Witness (C2SP tlog-witness add-checkpoint) over HTTP")
struct WitnessTests {
    /// A router with the witness routes.
    static func router(_ w: WitnessFixture) -> Router<LedgerRequestContext> {
        WitnessAPI.router(prefix: "", witness: w.witness, logger: testLogger("test.witness"))
    }

    /// Verifies the cosignature lines of a 200 answer against the witness key.
    static func verifyCosignature(
        _ body: [UInt8], note: String, verifier: CosignatureV1Verifier
    ) async throws
        -> NoteSignature
    {
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasSuffix("\n"))
        let lines = try text.split(separator: "\n").map { try NoteSignature(parsingLine: $0) }
        let opened = try NoteSigning.open(
            Note(text: try Note(parsing: note).text, signatures: lines), verifiers: [verifier])
        #expect(opened.count == 1)
        return opened[0]
    }

    @Test(
        "accepts a valid checkpoint, returns a cosignature that verifies, then accepts a consistent one",
        arguments: UpstreamEngine.allCases)
    func acceptsAndCosigns(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let first = try gateway.grow(10)
        let w = try WitnessFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(Self.router(w)) { port in
            let r1 = try await post(
                port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 0, proof: [], note: first.note))
            #expect(r1.status == 200)
            let sig = try await Self.verifyCosignature(r1.body, note: first.note, verifier: w.verifier)
            #expect(sig.name == "witness.example/w1")
            #expect(sig.signature.count == 72)
            let timestamp = try #require(CosignatureV1.timestamp(of: sig.signature))
            #expect(abs(Int64(timestamp) - SystemClock.nowNanoseconds() / 1_000_000_000) < 60)

            let second = try gateway.grow(7)
            let proof = try gateway.store.consistencyProof(from: 10, to: 17)
            let r2 = try await post(
                port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 10, proof: proof, note: second.note))
            #expect(r2.status == 200)
            _ = try await Self.verifyCosignature(r2.body, note: second.note, verifier: w.verifier)
            // The same checkpoint again (old = size, empty proof) is cosigned again.
            let r3 = try await post(
                port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 17, proof: [], note: second.note))
            #expect(r3.status == 200)
        }
        let state = try #require(try await w.store.witnessState(origin: gateway.origin))
        #expect(state.size == 17)
        #expect(state.root == (try gateway.store.latestCheckpoint())?.root)
    }

    @Test(
        "409 with the witness's size as text/x.tlog.size when the old size is stale", arguments: UpstreamEngine.allCases
    )
    func conflictOnStaleOldSize(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let first = try gateway.grow(5)
        let second = try gateway.grow(5)
        let w = try WitnessFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(Self.router(w)) { port in
            #expect(
                try await post(
                    port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 0, proof: [], note: first.note)
                ).status == 200)
            // The client believes the witness knows nothing.
            let r = try await post(
                port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 0, proof: [], note: second.note))
            #expect(r.status == 409)
            #expect(r.contentType == "text/x.tlog.size")
            #expect(String(decoding: r.body, as: UTF8.self) == "5\n")
            // A client believing in a size the witness never saw gets the same answer.
            let proof = try gateway.store.consistencyProof(from: 3, to: 10)
            let r2 = try await post(
                port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 3, proof: proof, note: second.note))
            #expect(r2.status == 409)
            #expect(String(decoding: r2.body, as: UTF8.self) == "5\n")
        }
        #expect(try await w.store.witnessState(origin: gateway.origin)?.size == 5)
    }

    @Test(
        "403 for a checkpoint signed by another key, 404 for an unknown origin, 400 for garbage",
        arguments: UpstreamEngine.allCases)
    func badSignatureUnknownLogMalformed(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let other = try GatewayFixture(dir: dir, origin: "test.example/gw-1", file: "impostor.db")
        let unknown = try GatewayFixture(dir: dir, origin: "test.example/unknown", file: "unknown.db")
        let forged = try other.grow(4)
        let stranger = try unknown.grow(4)
        let w = try WitnessFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(Self.router(w)) { port in
            let r = try await post(
                port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 0, proof: [], note: forged.note))
            #expect(r.status == 403)
            let r2 = try await post(
                port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 0, proof: [], note: stranger.note))
            #expect(r2.status == 404)
            let r3 = try await post(port: port, "add-checkpoint", body: "old 01\n\n" + stranger.note)
            #expect(r3.status == 400)
            let r4 = try await post(port: port, "add-checkpoint", body: "hello")
            #expect(r4.status == 400)
        }
        #expect(try await w.store.witnessState(origin: gateway.origin) == nil)
    }

    @Test("422 for a consistency proof that does not verify", arguments: UpstreamEngine.allCases)
    func badProof(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let first = try gateway.grow(6)
        let second = try gateway.grow(11)
        let w = try WitnessFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(Self.router(w)) { port in
            #expect(
                try await post(
                    port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 0, proof: [], note: first.note)
                ).status == 200)
            var proof = try gateway.store.consistencyProof(from: 6, to: 17)
            proof[0] = Hash32(bytes: [UInt8](repeating: 0xab, count: 32))!
            let r = try await post(
                port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 6, proof: proof, note: second.note))
            #expect(r.status == 422)
            // A truncated proof too.
            let short = Array(try gateway.store.consistencyProof(from: 6, to: 17).dropLast())
            let r2 = try await post(
                port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 6, proof: short, note: second.note))
            #expect(r2.status == 422)
        }
        #expect(try await w.store.witnessState(origin: gateway.origin)?.size == 6)
    }

    @Test("rollbacks and forks are refused, and the state never moves back", arguments: UpstreamEngine.allCases)
    func rollbackAndForkRefused(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let small = try gateway.grow(10)
        let large = try gateway.grow(10)
        // A fork: same origin and key, other entries, same size as `large`.
        let fork = try GatewayFixture(dir: dir, origin: gateway.origin, file: "fork.db", key: gateway.key)
        try fork.append(20, payloadSize: 64)
        let forked = try fork.seal()
        #expect(forked.size == large.size)
        #expect(forked.root != large.root)
        let w = try WitnessFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(Self.router(w)) { port in
            #expect(
                try await post(
                    port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 0, proof: [], note: large.note)
                ).status == 200)
            // Rollback: the smaller checkpoint from the witness's own size is malformed (old > size) ...
            let r = try await post(
                port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 20, proof: [], note: small.note))
            #expect(r.status == 400)
            // ... and from any smaller old size a conflict naming the witness's size.
            let r2 = try await post(
                port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 10, proof: [], note: small.note))
            #expect(r2.status == 409)
            #expect(String(decoding: r2.body, as: UTF8.self) == "20\n")
            // Fork at the same size: 409.
            let r3 = try await post(
                port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 20, proof: [], note: forked.note))
            #expect(r3.status == 409)
            // Fork that grows: the proof from the real size-20 root fails.
            try fork.append(5)
            let forkedLarger = try fork.seal()
            let forkProof = try fork.store.consistencyProof(from: 20, to: 25)
            let r4 = try await post(
                port: port, "add-checkpoint",
                body: WitnessRequest.body(oldSize: 20, proof: forkProof, note: forkedLarger.note))
            #expect(r4.status == 422)
        }
        let state = try #require(try await w.store.witnessState(origin: gateway.origin))
        #expect(state.size == 20)
        #expect(state.root == large.root)
    }

    @Test(
        "bearer tokens: 401 without, 403 with a wrong one, when anonymous submissions are off",
        arguments: UpstreamEngine.allCases)
    func tokens(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let first = try gateway.grow(3)
        let w = try WitnessFixture(dir: dir, gateways: [gateway], engine: engine)
        let digest = Hex.encode(OpenSSLHasher.sha256.hash(Array("gw-token".utf8)).bytes)
        let router = WitnessAPI.router(
            prefix: "/witness", witness: w.witness,
            authenticator: WitnessAuthenticator(
                allowAnonymous: false, tokens: [HTTPTokenConfiguration(name: "gw-1", credential: .sha256Hex(digest))]),
            logger: testLogger("test.witness"))
        let body = WitnessRequest.body(oldSize: 0, proof: [], note: first.note)
        try await withServer(router) { (port: Int) async throws -> Void in
            #expect(try await post(port: port, "witness/add-checkpoint", body: body).status == 401)
            #expect(try await post(port: port, "witness/add-checkpoint", body: body, token: "nope").status == 403)
            #expect(try await post(port: port, "witness/add-checkpoint", body: body, token: "gw-token").status == 200)
        }
    }

    @Test(
        "mutual TLS: a client certificate from client_ca_file authenticates the pusher when anonymous submissions are off",
        .enabled(if: TestPKI.available))
    func mutualTLS() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(5)
        let w = try WitnessFixture(dir: dir, gateways: [gateway])
        let pki = try TestPKI(directory: URL(fileURLWithPath: dir.path))
        try pki.issue("gw1", subject: "/O=Example/CN=gw-1")
        try pki.issue("gw2", subject: "/O=Example/CN=gw-2")  // another gateway's certificate
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let service = try WitnessService(
            witness: w.witness,
            http: UpstreamHTTPConfiguration(
                listen: HostPort(host: "127.0.0.1", port: 0),
                tls: HTTPServerTLSConfiguration(
                    certFile: pki.path("server.crt"), keyFile: pki.path("server.key"),
                    clientCAFile: pki.path("ca.crt")),
                allowAnonymous: false),
            logger: testLogger("test.witness"), onServerRunning: { continuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            func push(certificate: String?) async throws -> String? {
                let upstream = UpstreamPeerConfiguration(
                    name: "dc-1", url: "https://localhost:\(port)", witness: true,
                    verifierKey: w.witness.verifierKey.string,
                    tls: TLSClientConfiguration(
                        caFile: pki.path("ca.crt"), certFile: certificate.map { pki.path("\($0).crt") },
                        keyFile: certificate.map { pki.path("\($0).key") }))
                let pusher = try WitnessPusher(
                    store: gateway.store, upstreams: [upstream], logger: testLogger("test.push"))
                let result = await pusher.pushOnce()["dc-1"]
                await pusher.shutdown()
                return result
            }
            // Without a certificate the handshake fails; with one (and no token) it is cosigned.
            #expect(try await push(certificate: nil) != "ok")
            // A certificate the CA issued to another gateway may not push this origin.
            let crossed = try await push(certificate: "gw2")
            #expect(crossed?.hasPrefix("HTTP 403") == true, "\(String(describing: crossed))")
            #expect(try await push(certificate: "gw1") == "ok")
            group.cancelAll()
        }
        #expect(try await w.store.witnessState(origin: gateway.origin)?.size == 5)
    }

    @Test("request bodies round-trip; cosignature key IDs follow the spec")
    func formats() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        _ = try gateway.grow(9)
        let cp = try gateway.grow(4)
        let proof = try gateway.store.consistencyProof(from: 9, to: 13)
        let body = WitnessRequest.body(oldSize: 9, proof: proof, note: cp.note)
        let parsed = try WitnessRequest(parsing: Array(body.utf8))
        #expect(parsed.oldSize == 9)
        #expect(parsed.proof == proof)
        #expect(parsed.note.serialized == cp.note)
        #expect(parsed.body == body)
        #expect(throws: WitnessRequestError.self) {
            try WitnessRequest(
                parsing: Array(("old 1\n" + String(repeating: "AAAA\n", count: 2) + "\n" + cp.note).utf8))
        }
        // Key ID = SHA-256(name || "\n" || 0x04 || key)[:4], and the vkey string round-trips.
        let key = try PrivateKey.generate(.ed25519)
        let signer = try CosignatureV1Signer(name: "w.example/x", privateKey: key, clock: { 1_679_315_147 })
        let raw = key.publicKey.rawEd25519!
        let digest = OpenSSLHasher.sha256.hash(Array("w.example/x".utf8) + [0x0a, 0x04] + raw).bytes
        #expect(
            signer.keyID == UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8
                | UInt32(digest[3]))
        let verifier = try CosignatureV1Verifier(parsing: signer.verifierKey.string)
        let text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        let sig = try signer.cosign(text: text)
        #expect(CosignatureV1.timestamp(of: sig.signature) == 1_679_315_147)
        #expect(verifier.verify(Array(text.utf8), signature: sig.signature))
        // The signed message is cosignature/v1, the time line, then the note text.
        #expect(
            key.publicKey.verify(
                Array("cosignature/v1\ntime 1679315147\n".utf8) + Array(text.utf8),
                signature: Array(sig.signature[8...])))
        var altered = sig.signature
        altered[7] ^= 1  // another timestamp
        #expect(!verifier.verify(Array(text.utf8), signature: altered))
    }
}

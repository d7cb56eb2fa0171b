import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Hummingbird
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

/// Identity is bound to origin (issue 11 finding 11) and the `Bearer` scheme is case-insensitive
/// (finding 15).
@Suite("Witness identity: a credential submits only its own origins")
struct WitnessIdentityTests {
    static func digest(_ token: String) -> String { Hex.encode(OpenSSLHasher.sha256.hash(Array(token.utf8)).bytes) }

    @Test("a token accepted for one gateway cannot submit another gateway's checkpoint", arguments: [true, false])
    func tokenBoundToOrigin(allowAnonymous: Bool) async throws {
        let dir = try TemporaryFolder()
        let one = try GatewayFixture(dir: dir, origin: "test.example/gw-1", file: "gw1.db")
        let two = try GatewayFixture(dir: dir, origin: "test.example/gw-2", file: "gw2.db")
        let noteOne = try one.grow(3).note
        let noteTwo = try two.grow(4).note
        let store = try CollectorStore(path: dir.file("witness.db"), durability: .process)
        let cosigner = try CosignatureV1Signer(name: "witness.example/w1", privateKey: PrivateKey.generate(.ed25519))
        let logs = try [(one, "gw-1"), (two, "gw-2")].map { g, client in
            WitnessedLog(
                origin: g.origin, verifiers: [try NoteKeys.verifier(from: g.verifierKey)], hasher: OpenSSLHasher.sha256,
                clients: [client])
        }
        let witness = Witness(cosigner: cosigner, logs: logs, store: store, boundFirstByCollection: false)
        let router = WitnessAPI.router(
            prefix: "", witness: witness,
            authenticator: WitnessAuthenticator(
                allowAnonymous: allowAnonymous,
                tokens: [
                    HTTPTokenConfiguration(name: "gw-1", credential: .sha256Hex(Self.digest("token-1"))),
                    HTTPTokenConfiguration(name: "gw-2", credential: .sha256Hex(Self.digest("token-2"))),
                ]),
            logger: testLogger("test.witness", level: .critical))
        let bodyOne = WitnessRequest.body(oldSize: 0, proof: [], note: noteOne)
        let bodyTwo = WitnessRequest.body(oldSize: 0, proof: [], note: noteTwo)
        try await withServer(router) { (port: Int) async throws -> Void in
            let crossed = try await post(port: port, "add-checkpoint", body: bodyTwo, token: "token-1")
            #expect(crossed.status == 403)
            #expect(String(decoding: crossed.body, as: UTF8.self).contains("may not submit"))
            #expect(try await post(port: port, "add-checkpoint", body: bodyOne, token: "token-2").status == 403)
            #expect(try await store.witnessState(origin: two.origin) == nil)
            #expect(try await post(port: port, "add-checkpoint", body: bodyOne, token: "token-1").status == 200)
            #expect(try await post(port: port, "add-checkpoint", body: bodyTwo, token: "token-2").status == 200)
        }
        #expect(try await store.witnessState(origin: one.origin)?.size == 3)
        #expect(try await store.witnessState(origin: two.origin)?.size == 4)
    }

    @Test("a client certificate matches witness_clients by subject, in any accepted form")
    func certificateBinding() {
        let client = WitnessClient.certificate(["CN=gw-1", "O=Example"])
        #expect(client.matches("CN=gw-1,O=Example"))
        #expect(client.matches("/O=Example/CN=gw-1"))
        #expect(!client.matches("CN=gw-2,O=Example"))
        #expect(!client.matches("gw-1"))  // a token name is not a subject
        #expect(!WitnessClient.token("CN=gw-1,O=Example").matches("gw-1"))
        #expect(!WitnessClient.certificate([]).matches(""))
    }

    @Test(
        "the collector refuses a checkpoint of another origin, even signed by a key it trusts elsewhere",
        arguments: UpstreamEngine.allCases)
    func servedAsAnotherOrigin(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let one = try GatewayFixture(dir: dir, origin: "test.example/gw-1", file: "gw1.db")
        let two = try GatewayFixture(dir: dir, origin: "test.example/gw-2", file: "gw2.db")
        try one.grow(3)
        try two.grow(4)
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let server = try TestTileServer(gateway: two)  // gw-2's log, served at gw-1's URL
        try await withServer(server.router) { port in
            var configuration = one.gatewayConfiguration(url: "http://127.0.0.1:\(port)")
            configuration.verifierKeys = [one.verifierKey, two.verifierKey]
            let collector = try GatewayCollector(
                gateway: configuration, store: store, logger: testLogger("test.collector", level: .critical))
            let report = await collector.pullOnce()
            await collector.shutdown()
            #expect(report.outcome.refusal?.contains("checkpoint refused") == true, "\(report.outcome)")
        }
        #expect(try await store.gatewayState(origin: one.origin)?.verifiedSize == 0)
    }

    @Test("the Bearer scheme is matched case-insensitively, at the witness and at the gateway API")
    func bearerCaseInsensitive() {
        let witness = WitnessAuthenticator(
            allowAnonymous: false,
            tokens: [HTTPTokenConfiguration(name: "gw-1", credential: .sha256Hex(Self.digest("t")))])
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            #expect(witness.check(authorization: "\(scheme) t") == .accepted(.token("gw-1")), "\(scheme)")
            #expect(BearerCredential.token(inAuthorization: "\(scheme) t").map { Array($0) } == Array("t".utf8))
        }
        #expect(witness.check(authorization: "Bearer wrong") == .forbidden)
        #expect(witness.check(authorization: "Basic dDp0") == .missing)
        #expect(BearerCredential.token(inAuthorization: "Bearer") == nil)
        #expect(BearerCredential.token(inAuthorization: "Bearertoken") == nil)
        #expect(BearerCredential.token(inAuthorization: "Bearer a b") == nil)
    }
}

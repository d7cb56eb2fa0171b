import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP

/// `GET /proof/<index>[?size=N]`: C2SP tlog-proof bundles that verify offline.
@Suite("tlog-proof")
struct ProofTests {
    /// Verifies a proof as an offline client would: the checkpoint's signature with the log's
    /// key, then the inclusion of the leaf hash of `extra` under the checkpoint's root.
    static func verify(_ text: String, fixture f: LedgerFixture) throws -> (TLogProof, Checkpoint) {
        let proof = try TLogProof(parsing: text)
        let note = try Note(parsing: proof.checkpoint)
        let (checkpoint, _) = try Checkpoint.open(note, verifiers: [f.verifier], origin: LedgerFixture.origin)
        let extra = try #require(proof.extra)
        try Merkle.verifyInclusion(
            index: proof.index, treeSize: checkpoint.size, leafHash: sha256.leafHash(extra), proof: proof.hashes,
            root: checkpoint.root, hasher: sha256)
        return (proof, checkpoint)
    }

    @Test("A proof against the latest checkpoint verifies offline")
    func latest() async throws {
        let f = SharedFixtures.small
        try await withLiveAPI(f) { client in
            for index in [0, 1, 42, 255, 256, 299] {
                let r = try await client.execute(
                    uri: "/proof/\(index)", method: .get, headers: TestTokens.bearer(TestTokens.reader))
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/plain; charset=utf-8")
                let (proof, checkpoint) = try ProofTests.verify(r.text, fixture: f)
                #expect(proof.index == UInt64(index))
                #expect(proof.extra == f.entries[index])
                #expect(checkpoint.size == 300)
                #expect(checkpoint.root == f.root(size: 300))
                #expect(r.text.hasPrefix("c2sp.org/tlog-proof@v1\nextra "))
                #expect(r.text.contains("\nindex \(index)\n"))
            }
        }
    }

    @Test("A proof against an earlier checkpoint (?size=N)")
    func earlier() async throws {
        let f = SharedFixtures.small
        try await withLiveAPI(f) { client in
            let r = try await client.execute(
                uri: "/proof/43?size=44", method: .get, headers: TestTokens.bearer(TestTokens.reader))
            #expect(r.status == .ok)
            let (proof, checkpoint) = try ProofTests.verify(r.text, fixture: f)
            #expect(checkpoint.size == 44)
            #expect(
                proof.hashes == (try Merkle.inclusionProof(index: 43, leafHashes: f.leafHashes[0..<44], hasher: sha256))
            )
        }
    }

    @Test("Proofs in a 70 000-entry tree")
    func large() async throws {
        let f = SharedFixtures.large
        try await withLiveAPI(f) { client in
            for (index, size) in [(0, nil), (65_535, 65_536), (65_536, nil), (69_999, nil), (12_345, 65_536)]
                as [(Int, Int?)]
            {
                let uri = "/proof/\(index)" + (size.map { "?size=\($0)" } ?? "")
                let r = try await client.execute(uri: uri, method: .get, headers: TestTokens.bearer(TestTokens.reader))
                #expect(r.status == .ok, "\(uri)")
                let (_, checkpoint) = try ProofTests.verify(r.text, fixture: f)
                #expect(checkpoint.size == UInt64(size ?? 70_000))
            }
        }
    }

    @Test("404 for an index outside the tree or a size without checkpoint; 400 for malformed numbers")
    func errors() async throws {
        try await withLiveAPI(SharedFixtures.small) { client in
            let auth = TestTokens.bearer(TestTokens.reader)
            let notFound = [
                "/proof/300", "/proof/44?size=44", "/proof/0?size=45", "/proof/0?size=1",
                "/proof/18446744073709551615",
            ]
            for uri in notFound {
                let r = try await client.execute(uri: uri, method: .get, headers: auth)
                #expect(r.status == .notFound, "\(uri)")
            }
            let badRequest = [
                "/proof/-1", "/proof/abc", "/proof/007", "/proof/18446744073709551616", "/proof/1e3", "/proof/+1",
                "/proof/0?size=-5", "/proof/0?size=abc", "/proof/0?size=", "/proof/0?size=0300",
                "/proof/0?size=99999999999999999999999", "/proof/0?size=44&size=300", "/proof/%31",
            ]
            for uri in badRequest {
                let r = try await client.execute(uri: uri, method: .get, headers: auth)
                #expect(r.status == .badRequest, "\(uri): \(r.status) \(r.text)")
            }
        }
    }

    @Test("A pruned entry's proof has no extra line and still proves its leaf")
    func pruned() async throws {
        let f = try LedgerFixture(count: 20, sealAt: [])
        // Remove the payload the way retention prunes it (the leaf hash stays).
        try RawSQL.execute(f.storePath, "UPDATE entries SET entry = NULL WHERE idx = 3")
        try await withLiveAPI(f) { client in
            let auth = TestTokens.bearer(TestTokens.reader)
            var r = try await client.execute(uri: "/proof/3", method: .get, headers: auth)
            #expect(r.status == .ok)
            let proof = try TLogProof(parsing: r.text)
            #expect(proof.extra == nil)
            #expect(!r.text.contains("extra"))
            let checkpoint = try Checkpoint(parsing: try Note(parsing: proof.checkpoint).text)
            try Merkle.verifyInclusion(
                index: 3, treeSize: checkpoint.size, leafHash: f.leafHashes[3], proof: proof.hashes,
                root: checkpoint.root, hasher: sha256)
            r = try await client.execute(uri: "/tile/entries/000.p/20", method: .get, headers: auth)
            #expect(r.status == .gone)
            #expect(r.text.contains("pruned"))
            r = try await client.execute(uri: "/tile/0/000.p/20", method: .get, headers: auth)
            #expect(r.status == .ok)
        }
    }
}

import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP

@Suite("API building blocks")
struct UnitTests {
    @Test("Strict decimal numbers")
    func decimals() {
        #expect(DecimalNumber.parse("0") == 0)
        #expect(DecimalNumber.parse("42") == 42)
        #expect(DecimalNumber.parse("18446744073709551615") == .max)
        for bad in [
            "", "-1", "+1", "007", "00", "1e3", " 1", "1 ", "18446744073709551616", "99999999999999999999999", "0x10",
        ] {
            #expect(DecimalNumber.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("tlog-proof text round-trips and is parsed strictly")
    func proofText() throws {
        let hashes = (0..<3).map { sha256.leafHash([UInt8($0)]) }
        let checkpoint = "example.com/log\n10\n\(Base64.encode(hashes[0].bytes))\n\n— example.com/log AAAA\n"
        let proof = TLogProof(extra: [1, 2, 3], index: 7, hashes: hashes, checkpoint: checkpoint)
        let text = proof.text
        #expect(
            text
                == "c2sp.org/tlog-proof@v1\nextra AQID\nindex 7\n"
                + hashes.map { Base64.encode($0.bytes) + "\n" }.joined() + "\n" + checkpoint)
        #expect(try TLogProof(parsing: text) == proof)
        let bare = TLogProof(index: 0, hashes: [], checkpoint: checkpoint)
        #expect(bare.text == "c2sp.org/tlog-proof@v1\nindex 0\n\n" + checkpoint)
        #expect(try TLogProof(parsing: bare.text) == bare)
        for bad in [
            "c2sp.org/tlog-proof@v2\nindex 0\n\n" + checkpoint, "c2sp.org/tlog-proof@v1\nindex 01\n\n" + checkpoint,
            "c2sp.org/tlog-proof@v1\nindex 0\nnot-a-hash\n\n" + checkpoint, "c2sp.org/tlog-proof@v1\nindex 0\n",
            "c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\n" + checkpoint, "c2sp.org/tlog-proof@v1\n\n" + checkpoint,
            "c2sp.org/tlog-proof@v1\nindex 0\n\n",
        ] {
            #expect(throws: TLogProofError.self, "\(bad)") { try TLogProof(parsing: bad) }
        }
    }

    @Test("Cosignature lines are appended once, malformed ones left out")
    func servedCheckpoint() throws {
        let key = try PrivateKey.generate(.ed25519)
        let text = Checkpoint(origin: "o.example/log", size: 1, root: sha256.leafHash([1])).text
        let note = try NoteSigning.sign(text: text, with: [NoteKeys.signer(for: key, name: "o.example/log")]).serialized
        let witness = try NoteSigning.sign(
            text: text, with: [NoteKeys.signer(for: try PrivateKey.generate(.ed25519), name: "w.example")])
        let line = witness.signatures[0].line
        let cosignatures = [
            Cosignature(checkpointSize: 1, witness: "w.example", line: line, receivedAt: 0),
            Cosignature(checkpointSize: 1, witness: "bad", line: "not a signature line", receivedAt: 0),
            Cosignature(checkpointSize: 1, witness: "w.example-again", line: line, receivedAt: 0),
        ]
        let (served, skipped) = ServedCheckpoint.text(note: note, cosignatures: cosignatures)
        #expect(served == note + line + "\n")
        #expect(skipped == ["bad"])
        #expect(ServedCheckpoint.text(note: note, cosignatures: []).text == note)
    }

    @Test("Token digests compare in constant time; Authorization headers are parsed strictly")
    func tokens() throws {
        #expect(APIAuthenticator.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!APIAuthenticator.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!APIAuthenticator.constantTimeEqual([1, 2, 3], [1, 2]))
        // The digest is SHA-256 as `printf %s TOKEN | sha256sum` prints it.
        #expect(
            APIAuthenticator.digest(Array("abc".utf8)).hex
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let auth = try APIAuthenticator(
            tokens: TestTokens.configured, upstreams: [UpstreamPeerConfiguration(name: "dc-1", url: "http://x")])
        guard case .client(let reader) = auth.authenticate(authorization: "Bearer \(TestTokens.reader)") else {
            Issue.record("reader token refused")
            return
        }
        #expect(reader == APIClient(name: "reader", credential: .token, upstream: nil))
        guard case .client(let upstream) = auth.authenticate(authorization: "Bearer  \(TestTokens.upstream) ") else {
            Issue.record("upstream token refused")
            return
        }
        #expect(upstream.upstream == "dc-1")
        for header in ["Bearer", "Bearer ", "Token \(TestTokens.reader)", "Bearer a b", "Bearer \(TestTokens.reader)x"]
        {
            guard case .invalid = auth.authenticate(authorization: header) else {
                Issue.record("accepted \(header)")
                continue
            }
        }
        #expect(throws: HTTPSetupError.self) {
            try APIAuthenticator(
                tokens: [HTTPTokenConfiguration(name: "x", credential: .sha256Hex("abc"))], upstreams: [])
        }
        #expect(throws: HTTPSetupError.self) {
            try APIAuthenticator(
                tokens: [HTTPTokenConfiguration(name: "x", credential: .plaintext(ConfigSecret(value: "")))],
                upstreams: [])
        }
    }

    @Test("Certificate subjects read like openssl -nameopt RFC2253", .enabled(if: TestPKI.available))
    func certificateSubjects() throws {
        let directory = try TemporaryDirectory.make(prefix: "edge-ledger-pki")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try TestPKI(directory: directory)
        let subjects = [
            "/O=Example/CN=dc-1",
            "/C=CN/ST=Jiangsu/L=Suzhou/O=Example, Inc./OU=Plant 7/CN=dc-1",
            "/DC=example/DC=com/O=Semi;Colon/CN=#hash <angle>",
            "/O=Zürich Fabrik/CN=gw-12",
            "/CN=one/emailAddress=ops@example.com",
        ]
        for (i, subject) in subjects.enumerated() {
            try pki.issue("c\(i)", subject: subject)
            let expected = try pki.rfc2253Subject("c\(i)")
            let ours = try #require(CertificateSubject.string(certificateDER: try pki.der("c\(i)")))
            // OpenSSL escapes non-ASCII as \XX in RFC2253 mode; compare ASCII subjects exactly.
            if subject.allSatisfy(\.isASCII) {
                #expect(ours.uppercased() == expected.uppercased(), "\(subject)")
            } else {
                #expect(ours == "CN=gw-12,O=Zürich Fabrik")
            }
        }
        let components = try #require(CertificateSubject.components(certificateDER: try pki.der("c0")))
        #expect(components == ["CN=dc-1", "O=Example"])
        for configured in [
            "CN=dc-1,O=Example", "CN=dc-1, O=Example", "cn = dc-1 , o = Example", "O = Example, CN = dc-1",
            "/O=Example/CN=dc-1", "commonName=dc-1,organizationName=Example",
        ] {
            #expect(CertificateSubject.matches(configured: configured, components: components), "\(configured)")
        }
        for configured in ["CN=dc-1", "CN=dc-2,O=Example", "CN=DC-1,O=Example", "", "CN=dc-1,O=Example,C=CN", "dc-1"] {
            #expect(!CertificateSubject.matches(configured: configured, components: components), "\(configured)")
        }
        let escaped = try #require(CertificateSubject.components(certificateDER: try pki.der("c1")))
        #expect(
            CertificateSubject.matches(
                configured: "CN=dc-1,OU=Plant 7,O=Example\\, Inc.,L=Suzhou,ST=Jiangsu,C=CN", components: escaped))
        #expect(CertificateSubject.components(certificateDER: [0x30, 0x03, 0x02, 0x01]) == nil)
        #expect(CertificateSubject.components(certificateDER: []) == nil)
    }
}

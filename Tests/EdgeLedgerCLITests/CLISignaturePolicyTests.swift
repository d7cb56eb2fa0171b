import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

/// National-algorithm signatures can be required (issue 11, finding 10): `verify
/// --require-all-keys`, and `keygen` adds each new key to the gateway's `verifier-keys.txt`.
@Suite("CLI signature policy")
struct CLISignaturePolicyTests {
    /// A store whose checkpoints are signed with Ed25519 and SM2; with `stripSM2`, the SM2 line
    /// of the last checkpoint is removed (an attacker or a faulty relay).
    static func build(at path: String, stripSM2: Bool) throws -> (ed25519: VerifierKey, sm2: VerifierKey) {
        let origin = "test.example/gw-sm2"
        let ed = try PrivateKey.generate(.ed25519)
        let sm2 = try PrivateKey.generate(.sm2)
        let signers = [NoteKeys.signer(for: ed, name: origin), NoteKeys.signer(for: sm2, name: origin)]
        let store = try LedgerStore(path: path, hasher: OpenSSLHasher.sha256, origin: origin)
        for (round, readings) in [TestLedger.readings(100), TestLedger.readings(50, start: 1_800_000_000_000_000_000)]
            .enumerated()
        {
            try store.append(batch: readings)
            _ = try store.seal { request in
                let note = try NoteSigning.sign(
                    text: Checkpoint(origin: origin, size: request.size, root: request.root).text, with: signers)
                let keep = stripSM2 && round == 1 ? [note.signatures[0]] : note.signatures
                return Note(text: note.text, signatures: keep).serialized
            }
        }
        return (NoteKeys.verifierKey(for: ed, name: origin), NoteKeys.verifierKey(for: sm2, name: origin))
    }

    @Test("verify --require-all-keys fails on a checkpoint whose SM2 line was stripped; without it, it passes")
    func strippedSM2Line() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        let keys = try Self.build(at: db, stripSM2: true)
        let arguments = [
            "verify", "--db", db, "--verifier-key", keys.ed25519.string, "--verifier-key", keys.sm2.string,
        ]
        let any = try EdgeLedgerBinary.run(arguments)
        #expect(any.code == 0, "\(any.stderr)")
        let all = try EdgeLedgerBinary.run(arguments + ["--require-all-keys"])
        #expect(all.code == 1)
        #expect(all.stderr.contains("FAILED: checkpoint at size 150"), "\(all.stderr)")
        #expect(all.stderr.contains("lacks the signature of required key \(keys.sm2.name)+"), "\(all.stderr)")
        // Both lines present: the policy is met.
        let intact = dir.file("intact.db")
        let intactKeys = try Self.build(at: intact, stripSM2: false)
        let ok = try EdgeLedgerBinary.run([
            "verify", "--db", intact, "--verifier-key", intactKeys.ed25519.string, "--verifier-key",
            intactKeys.sm2.string, "--require-all-keys",
        ])
        #expect(ok.code == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("signatures:   4 verified with 2 keys"), "\(ok.stdout)")
    }

    @Test("keygen --alg sm2 into an init setup adds the SM2 verifier key to verifier-keys.txt")
    func keygenUpdatesVerifierKeys() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let origin = "a.example/gw"
        #expect(try EdgeLedgerBinary.run(["init", "--dir", dir.path, "--origin", origin]).code == 0)
        let before = try Files.text(dir.file("verifier-keys.txt"))
        let r = try EdgeLedgerBinary.run(["keygen", "--alg", "sm2", "--name", origin, "--out", dir.file("keys")])
        #expect(r.code == 0, "\(r.stderr)")
        let sm2 = r.stdout.trimmingCharacters(in: .newlines)
        let lines = try Files.text(dir.file("verifier-keys.txt")).split(separator: "\n").map(String.init)
        #expect(lines == [before.trimmingCharacters(in: .newlines), sm2])
        #expect(try VerifierKey(parsing: sm2).name == origin)
        #expect(r.stderr.contains("added the verifier key to \(dir.file("verifier-keys.txt"))"))
        #expect(Files.mode(dir.file("verifier-keys.txt")) == 0o644)
        // An explicit file; a missing one is refused before any key is written.
        let other = dir.file("handed-out.txt")
        try Files.write(other, "")
        let p256 = try EdgeLedgerBinary.run([
            "keygen", "--alg", "p256", "--name", origin, "--out", dir.file("keys"), "--verifier-keys", other,
        ])
        #expect(p256.code == 0, "\(p256.stderr)")
        #expect(try Files.text(other) == p256.stdout)
        let missing = try EdgeLedgerBinary.run([
            "keygen", "--alg", "ed25519", "--name", origin, "--out", dir.file("more"), "--verifier-keys",
            dir.file("nope.txt"),
        ])
        #expect(missing.code != 0)
        #expect(!Files.exists(dir.file("more")))
    }

    @Test("check-config warns when verifier-keys.txt and the configured signing keys differ")
    func checkConfigComparesVerifierKeys() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let origin = "a.example/gw"
        #expect(try EdgeLedgerBinary.run(["init", "--dir", dir.path, "--origin", origin]).code == 0)
        let config = dir.file("edge-ledger.toml")
        var check = try EdgeLedgerBinary.run(["check-config", config])
        #expect(check.code == 0, "\(check.stderr)")
        #expect(!check.stderr.contains("verifier-keys.txt"), "\(check.stderr)")
        // An SM2 key made elsewhere (no verifier-keys.txt beside it) and configured, but not
        // added to the gateway's verifier-keys.txt.
        let elsewhere = try TemporaryFolder(prefix: "edge-ledger-cli")
        let made = try EdgeLedgerBinary.run([
            "keygen", "--alg", "sm2", "--name", origin, "--out", elsewhere.file("keys"),
        ])
        #expect(made.code == 0, "\(made.stderr)")
        let sm2 = made.stdout.trimmingCharacters(in: .newlines)
        try Files.write(
            config,
            try Files.text(config)
                + "\n[[keys.signing]]\npath = \"\(elsewhere.file("keys/sm2.key"))\"\nalgorithm = \"sm2\"\n")
        check = try EdgeLedgerBinary.run(["check-config", config])
        #expect(check.code == 0, "\(check.stderr)")
        #expect(check.stderr.contains("verifier-keys.txt lacks the verifier key of"), "\(check.stderr)")
        #expect(check.stderr.contains(sm2))
        // Listed: no warning; a key nobody signs with: a warning.
        let stray = NoteKeys.verifierKey(for: try PrivateKey.generate(.ed25519), name: origin).string
        try Files.write(dir.file("verifier-keys.txt"), try Files.text(dir.file("verifier-keys.txt")) + sm2 + "\n")
        check = try EdgeLedgerBinary.run(["check-config", config])
        #expect(!check.stderr.contains("verifier-keys.txt"), "\(check.stderr)")
        try Files.write(dir.file("verifier-keys.txt"), try Files.text(dir.file("verifier-keys.txt")) + stray + "\n")
        check = try EdgeLedgerBinary.run(["check-config", config])
        #expect(check.stderr.contains("lists \(stray), which no keys.signing entry signs with"), "\(check.stderr)")
    }
}

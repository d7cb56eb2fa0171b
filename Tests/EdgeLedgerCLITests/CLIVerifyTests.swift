import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@Suite("CLI verify")
struct CLIVerifyTests {
    @Test("init, then verify --config on an empty store")
    func verifyEmptyStoreFromInit() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        #expect(try EdgeLedgerBinary.run(["init", "--dir", dir.path, "--origin", "a.example/gw"]).code == 0)
        do {
            _ = try LedgerStore(path: dir.file("data/ledger.db"), hasher: OpenSSLHasher.sha256, origin: "a.example/gw")
        }
        let r = try EdgeLedgerBinary.run(["verify", "--config", dir.file("edge-ledger.toml")])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("entries:      0"))
        #expect(r.stdout.contains("checkpoints:  0 checked"))
        let viaFile = try EdgeLedgerBinary.run([
            "verify", "--db", dir.file("data/ledger.db"), "--verifier-keys", dir.file("verifier-keys.txt"),
        ])
        #expect(viaFile.code == 0, "\(viaFile.stderr)")
    }

    @Test("verify passes with the right verifier key and fails naming the checkpoint with a wrong one")
    func verifySignatures() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        let ledger = try TestLedger.build(at: db, readings: TestLedger.readings(1000), sealEvery: 300)

        let right = try EdgeLedgerBinary.run(["verify", "--db", db, "--verifier-key", ledger.verifierKey.string])
        #expect(right.code == 0, "\(right.stderr)")
        #expect(right.stdout.contains("entries:      1000"))
        #expect(right.stdout.contains("checkpoints:  4 checked, 3 consistency proofs verified"))
        #expect(right.stdout.contains("signatures:   4 verified with 1 key"))
        #expect(!right.stderr.contains("\r"), "no progress line when standard error is not a terminal")

        try Files.write(dir.file("keys.txt"), "# gateway keys\n\n\(ledger.verifierKey.string)\n")
        let file = try EdgeLedgerBinary.run(["verify", "--db", db, "--verifier-keys", dir.file("keys.txt")])
        #expect(file.code == 0, "\(file.stderr)")

        let unchecked = try EdgeLedgerBinary.run(["verify", "--db", db])
        #expect(unchecked.code == 0)
        #expect(unchecked.stdout.contains("NOT checked"))
        #expect(unchecked.stderr.contains("will NOT be checked"))

        let other = NoteKeys.verifierKey(for: try PrivateKey.generate(.ed25519), name: ledger.origin)
        let wrong = try EdgeLedgerBinary.run(["verify", "--db", db, "--verifier-key", other.string])
        #expect(wrong.code == 1)
        #expect(wrong.stdout.isEmpty)
        #expect(wrong.stderr.contains("FAILED: checkpoint at size 300"))

        let garbage = try EdgeLedgerBinary.run(["verify", "--db", db, "--verifier-key", "not-a-key"])
        #expect(garbage.code == 1)
        #expect(garbage.stderr.contains("--verifier-key not-a-key"))
    }

    @Test("verify names the entry whose stored bytes changed")
    func flippedEntry() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        let ledger = try TestLedger.build(at: db, readings: TestLedger.readings(600))
        // The last byte is inside the payload: the entry still decodes, its hash changes.
        let size = try RawSQL.bytes(db, "SELECT entry FROM entries WHERE idx = 123")!.count
        try RawSQL.flipBlobByte(db, table: "entries", column: "entry", where: "idx = 123", offset: size - 2)
        let r = try EdgeLedgerBinary.run(["verify", "--db", db, "--verifier-key", ledger.verifierKey.string])
        #expect(r.code == 1)
        #expect(r.stderr.contains("FAILED: entry 123: leaf hash mismatch"))
    }

    @Test("verify names the hash tile that changed")
    func flippedTile() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        try TestLedger.build(at: db, readings: TestLedger.readings(600))
        try RawSQL.flipBlobByte(
            db, table: "tiles", column: "hashes", where: "level = 0 AND idx = 1", offset: 32 * 5 + 7)
        let r = try EdgeLedgerBinary.run(["verify", "--db", db])
        #expect(r.code == 1)
        #expect(r.stderr.contains("FAILED: tile 0/1"))
    }

    @Test("verify names the checkpoint whose note changed: body without keys, signature with keys")
    func flippedCheckpoint() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        let ledger = try TestLedger.build(at: db, readings: TestLedger.readings(600), sealEvery: 200)
        let note = String(
            decoding: try RawSQL.bytes(db, "SELECT note FROM checkpoints WHERE size = 400")!, as: UTF8.self)

        // One byte of the signature line: detected with keys.
        var signed = Array(note.utf8)
        let signatureByte = signed.count - 10
        signed[signatureByte] = signed[signatureByte] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try RawSQL.execute(
            db, "UPDATE checkpoints SET note = ?1 WHERE size = 400", text: String(decoding: signed, as: UTF8.self))
        let withKey = try EdgeLedgerBinary.run(["verify", "--db", db, "--verifier-key", ledger.verifierKey.string])
        #expect(withKey.code == 1)
        #expect(withKey.stderr.contains("FAILED: checkpoint at size 400"))

        // One byte of the body's root line: detected even without keys.
        var body = Array(note.utf8)
        let rootLine = note.split(separator: "\n")[2]
        let rootByte = note.utf8.distance(from: note.utf8.startIndex, to: rootLine.startIndex) + 3
        body[rootByte] = body[rootByte] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try RawSQL.execute(
            db, "UPDATE checkpoints SET note = ?1 WHERE size = 400", text: String(decoding: body, as: UTF8.self))
        let noKey = try EdgeLedgerBinary.run(["verify", "--db", db])
        #expect(noKey.code == 1)
        #expect(noKey.stderr.contains("FAILED: checkpoint at size 400"))
    }

    @Test(
        "on a terminal, verify draws one updating progress line on standard error",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func progressOnTerminal() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        try TestLedger.build(at: db, readings: TestLedger.readings(3000), sealEvery: 1000)
        let exe = try BuiltProducts.executable("edge-ledger")
        let command = [exe, "verify", "--db", db].map(EdgeLedgerBinary.shellQuote).joined(separator: " ")
        // script(1) runs the command on a pseudo-terminal and copies what it prints.
        let r = try EdgeLedgerBinary.shell(
            "exec /usr/bin/script -qec \"$1\" /dev/null >\"$2\" 2>&1 </dev/null",
            arguments: ["sh", command, dir.file("tty")], stdout: dir.file("tty"), stderr: dir.file("tty"))
        #expect(r.code == 0, "\(r.stdout)")
        #expect(r.stdout.contains("\rverifying 0/3000 entries (0.0%)"))
        #expect(r.stdout.contains("\rverifying 3000/3000 entries (100.0%)"))
        #expect(r.stdout.contains("\u{1B}[K"))
        #expect(r.stdout.contains("entries:      3000"))
    }

    @Test("verify reads the hash algorithm from the store (SM3)")
    func sm3Store() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        let ledger = try TestLedger.build(at: db, hash: .sm3, readings: TestLedger.readings(50))
        let r = try EdgeLedgerBinary.run(["verify", "--db", db, "--verifier-key", ledger.verifierKey.string])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("hash:         sm3"))
    }

    @Test("verify explains a missing or foreign file instead of crashing")
    func notAStore() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let missing = try EdgeLedgerBinary.run(["verify", "--db", dir.file("nope.db")])
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("no ledger store at"))
        #expect(!Files.exists(dir.file("nope.db")), "verify must not create a store")
        try Files.write(dir.file("text.db"), "hello\n")
        let text = try EdgeLedgerBinary.run(["verify", "--db", dir.file("text.db")])
        #expect(text.code == 1)
        #expect(text.stderr.contains("cannot read"))
        let none = try EdgeLedgerBinary.run(["verify"])
        #expect(none.code != 0)
        #expect(none.stderr.contains("--db"))
    }
}

@Suite("CLI verify --quick")
struct CLIVerifyQuickTests {
    @Test("verify --quick is fast on a clean store and exits 1 naming a damaged tile")
    func verifyQuick() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        let ledger = try TestLedger.build(at: db, readings: TestLedger.readings(20_000), sealEvery: 7_000)
        let started = Date()
        let clean = try EdgeLedgerBinary.run([
            "verify", "--quick", "--db", db, "--verifier-key", ledger.verifierKey.string,
        ])
        let seconds = Date().timeIntervalSince(started)
        #expect(clean.code == 0, "\(clean.stderr)")
        #expect(clean.stdout.contains("OK (quick check)"), "\(clean.stdout)")
        #expect(clean.stdout.contains("at size 20000, recomputed from the newest tiles"), "\(clean.stdout)")
        #expect(clean.stdout.contains("latest checkpoint verified"), "\(clean.stdout)")
        #expect(seconds < 5, "verify --quick took \(seconds) s")

        // Tile 0/77 holds the leaf hashes of entries 19712..<19968: hash 2 is entry 19714's.
        try RawSQL.flipBlobByte(db, table: "tiles", column: "hashes", where: "level = 0 AND idx = 77", offset: 64)
        let damaged = try EdgeLedgerBinary.run(["verify", "--quick", "--db", db])
        #expect(damaged.code == 1)
        #expect(damaged.stdout.isEmpty)
        #expect(damaged.stderr.contains("FAILED: tile 0/77: hash 2 is"), "\(damaged.stderr)")
        #expect(damaged.stderr.contains("entry 19714's bytes"), "\(damaged.stderr)")
    }
}

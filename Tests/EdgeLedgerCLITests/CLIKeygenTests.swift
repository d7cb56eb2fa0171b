import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Testing

@Suite("CLI keygen and version")
struct CLIKeygenTests {
    @Test(
        "keygen writes a 0600 PEM key and a parseable .pub, and prints only the verifier key",
        arguments: [
            "ed25519", "p256", "sm2",
        ])
    func keygen(algorithm: String) throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let out = dir.file("keys/\(algorithm)")
        let name = "factory.example/plant-7/gw-12"
        let r = try EdgeLedgerBinary.run(["keygen", "--alg", algorithm, "--name", name, "--out", out])
        #expect(r.code == 0, "\(r.stderr)")
        let keyPath = out + "/\(algorithm).key"
        let pubPath = out + "/\(algorithm).pub"
        #expect(Files.mode(keyPath) == 0o600)
        #expect(Files.mode(out) == 0o700)
        let pub = try Files.text(pubPath)
        #expect(pub.hasSuffix("\n"))
        #expect(r.lines == [pub.trimmingCharacters(in: .newlines)], "stdout must hold only the verifier key line")
        #expect(r.stderr.contains("wrote private key"))

        let verifierKey = try VerifierKey(parsing: pub.trimmingCharacters(in: .newlines))
        #expect(verifierKey.name == name)
        let verifier = try NoteKeys.verifier(from: verifierKey)
        let key = try KeyFile.load(path: keyPath)
        #expect(key.algorithm.rawValue == algorithm)
        #expect(NoteKeys.verifierKey(for: key, name: name) == verifierKey)
        // The key signs what the .pub verifies.
        let note = try NoteSigning.sign(text: "hello\n", with: [NoteKeys.signer(for: key, name: name)])
        #expect(try NoteSigning.open(note, verifiers: [verifier]).count == 1)
    }

    @Test("keygen never overwrites a key")
    func refusesOverwrite() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let first = try EdgeLedgerBinary.run(["keygen", "--alg", "ed25519", "--name", "a.example", "--out", dir.path])
        #expect(first.code == 0)
        let before = try Files.bytes(dir.file("ed25519.key"))
        let second = try EdgeLedgerBinary.run(["keygen", "--alg", "ed25519", "--name", "b.example", "--out", dir.path])
        #expect(second.code == 1)
        #expect(second.stderr.contains("already exists"))
        #expect(second.stdout.isEmpty)
        #expect(try Files.bytes(dir.file("ed25519.key")) == before)
        #expect(try Files.text(dir.file("ed25519.pub")) == first.stdout)
        // Another algorithm in the same directory is fine.
        let p256 = try EdgeLedgerBinary.run(["keygen", "--alg", "p256", "--name", "a.example", "--out", dir.path])
        #expect(p256.code == 0)
    }

    @Test("keygen refuses invalid names and algorithms without writing anything")
    func refusesBadInput() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let out = dir.file("k")
        let space = try EdgeLedgerBinary.run(["keygen", "--alg", "ed25519", "--name", "bad name", "--out", out])
        #expect(space.code == 1)
        #expect(space.stderr.contains("--name"))
        #expect(space.stderr.contains("white space"))
        let plus = try EdgeLedgerBinary.run(["keygen", "--alg", "ed25519", "--name", "a+b", "--out", out])
        #expect(plus.code == 1)
        #expect(plus.stderr.contains("'+'"))
        let alg = try EdgeLedgerBinary.run(["keygen", "--alg", "rsa", "--name", "a.example", "--out", out])
        #expect(alg.code != 0)
        #expect(alg.stderr.contains("ed25519"))
        #expect(!Files.exists(out))
        #expect(!space.stderr.contains("Fatal error") && !alg.stderr.contains("Fatal error"))
    }

    @Test("version names edge-ledger, Swift, OpenSSL, SQLite and libmosquitto")
    func version() throws {
        let r = try EdgeLedgerBinary.run(["version"])
        #expect(r.code == 0)
        #expect(r.lines.first?.hasPrefix("edge-ledger ") == true)
        for library in ["swift:", "openssl:", "OpenSSL 3", "sqlite:", "libmosquitto:"] {
            #expect(r.stdout.contains(library), "missing \(library) in \(r.stdout)")
        }
    }

    @Test("the gateway's binary says where the upstream went; edge-ledger-upstream has its own version and help")
    func twoExecutables() throws {
        let moved = try EdgeLedgerBinary.run(["upstream", "--config", "/etc/edge-ledger/upstream.toml"])
        #expect(moved.code == 64)
        #expect(moved.stderr.contains("edge-ledger-upstream run"))
        #expect(!moved.stderr.contains("Fatal error"))
        let help = try EdgeLedgerBinary.run(["--help"])
        #expect(!help.lines.contains { $0.hasPrefix("  upstream") })

        let version = try EdgeLedgerBinary.run(["version"], executable: "edge-ledger-upstream")
        #expect(version.code == 0)
        #expect(version.lines.first == "edge-ledger-upstream \(EdgeLedgerVersion.current)")
        #expect(version.stdout.contains("sqlite:"))
        // `run` is the default subcommand: its options work without naming it.
        let help2 = try EdgeLedgerBinary.run(["--help"], executable: "edge-ledger-upstream")
        #expect(help2.stdout.contains("run (default)"))
        let runHelp = try EdgeLedgerBinary.run(["run", "--help"], executable: "edge-ledger-upstream")
        #expect(runHelp.code == 0)
        #expect(runHelp.stdout.contains("--print-forks"))
        let missing = try EdgeLedgerBinary.run(
            ["--config", "/nonexistent/upstream.toml"], executable: "edge-ledger-upstream")
        #expect(missing.code == 78)
        #expect(missing.stderr.contains("invalid configuration /nonexistent/upstream.toml"))
    }
}

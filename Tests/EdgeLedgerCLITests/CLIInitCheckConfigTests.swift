import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Testing

@Suite("CLI init and check-config")
struct CLIInitCheckConfigTests {
    @Test("init writes a configuration that loads, a 0600 key and the verifier keys; check-config accepts it")
    func initWritesWorkingSetup() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let setup = dir.file("gw")
        let r = try EdgeLedgerBinary.run(["init", "--dir", setup, "--origin", "factory.example/plant-7/gw-12"])
        #expect(r.code == 0, "\(r.stderr)")
        let configPath = setup + "/edge-ledger.toml"
        let config = try ConfigLoader.load(path: configPath)
        #expect(config.identity.origin == "factory.example/plant-7/gw-12")
        #expect(config.identity.hash == .sha256)
        #expect(config.keys.signing.map(\.path) == [setup + "/keys/ed25519.key"])
        #expect(config.storage.path == setup + "/data/ledger.db")
        #expect(config.mqtt.host == "127.0.0.1" && config.mqtt.port == 1883)
        #expect(config.mqtt.topics.map(\.filter.text) == ["factory/+/telemetry"])
        #expect(config.mqtt.topics.allSatisfy { $0.qos == 1 && $0.format == .json })
        #expect(config.http.listen.description == "127.0.0.1:8080")
        #expect(Files.mode(setup + "/keys/ed25519.key") == 0o600)
        #expect(Files.mode(setup + "/keys") == 0o700)
        #expect(!Files.exists(setup + "/data/ledger.db"), "init must not create the store")

        let key = try KeyFile.load(path: setup + "/keys/ed25519.key")
        let expected = NoteKeys.verifierKey(for: key, name: "factory.example/plant-7/gw-12")
        let lines = try Files.text(setup + "/verifier-keys.txt").split(separator: "\n")
        #expect(lines == [Substring(expected.string)])
        #expect(r.stdout.contains(expected.string))

        let check = try EdgeLedgerBinary.run(["check-config", configPath])
        #expect(check.code == 0, "\(check.stderr)")
        #expect(check.stdout.contains("factory.example/plant-7/gw-12"))
        #expect(check.stdout.contains(expected.string))
        #expect(check.stdout.contains("factory/+/telemetry (qos 1, json)"))
    }

    @Test("init applies --broker, --topics, --listen, --hash and a default origin")
    func initOptions() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let r = try EdgeLedgerBinary.run([
            "init", "--dir", dir.path, "--broker", "broker.local:8883", "--topics", "plant/+/temp, plant/+/pressure",
            "--listen", "0.0.0.0:9000", "--hash", "sm3",
        ])
        #expect(r.code == 0, "\(r.stderr)")
        let config = try ConfigLoader.load(path: dir.file("edge-ledger.toml"))
        #expect(config.identity.origin.hasPrefix("edge-ledger.local/"))
        // The documented `edge-ledger-<origin>` client id, for the default origin too.
        #expect(config.mqtt.clientID.hasPrefix("edge-ledger-edge-ledger.local-"), "\(config.mqtt.clientID)")
        #expect(config.identity.hash == .sm3)
        #expect(config.mqtt.host == "broker.local" && config.mqtt.port == 8883)
        #expect(config.mqtt.topics.map(\.filter.text) == ["plant/+/temp", "plant/+/pressure"])
        #expect(config.http.listen.description == "0.0.0.0:9000")
        #expect(r.stderr.contains("allow_plaintext"))
    }

    @Test("init refuses before writing anything when any target exists, or when an option is invalid")
    func initNeverOverwrites() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        try Files.write(dir.file("verifier-keys.txt"), "keep me\n")
        let r = try EdgeLedgerBinary.run(["init", "--dir", dir.path])
        #expect(r.code == 1)
        #expect(r.stderr.contains("verifier-keys.txt"))
        #expect(!Files.exists(dir.file("edge-ledger.toml")))
        #expect(!Files.exists(dir.file("keys/ed25519.key")))
        #expect(try Files.text(dir.file("verifier-keys.txt")) == "keep me\n")

        let fresh = try TemporaryFolder(prefix: "edge-ledger-cli")
        let bad = try EdgeLedgerBinary.run([
            "init", "--dir", fresh.file("x"), "--broker", "no-port", "--topics", "a/#,a/b", "--origin", "has space",
        ])
        #expect(bad.code != 0)
        #expect(bad.stderr.contains("--broker"))
        #expect(bad.stderr.contains("--topics"))
        #expect(bad.stderr.contains("--origin"))
        #expect(!Files.exists(fresh.file("x")))

        let twice = try TemporaryFolder(prefix: "edge-ledger-cli")
        #expect(try EdgeLedgerBinary.run(["init", "--dir", twice.path]).code == 0)
        let again = try EdgeLedgerBinary.run(["init", "--dir", twice.path])
        #expect(again.code == 1)
        #expect(again.stderr.contains("refusing to overwrite"))
    }

    @Test("check-config names the key path of every error and exits 1")
    func checkConfigErrors() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        #expect(try EdgeLedgerBinary.run(["init", "--dir", dir.path, "--origin", "a.example/gw"]).code == 0)
        let path = dir.file("edge-ledger.toml")
        var text = try Files.text(path)
        text = text.replacingOccurrences(of: "qos = 1 ", with: "qos = \"two\" ")
        text = text.replacingOccurrences(of: "durability = \"process\"", with: "durabilty = \"process\"")
        try Files.write(path, text)
        let r = try EdgeLedgerBinary.run(["check-config", path])
        #expect(r.code == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("mqtt.topics[0].qos: expected an integer 0...2, got \"two\""))
        #expect(r.stderr.contains("storage.durabilty"))
        #expect(r.stderr.contains("2 problems"))

        let missing = try EdgeLedgerBinary.run(["check-config", dir.file("nope.toml")])
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("nope.toml"))
    }

    @Test("check-config refuses a signing key readable by others and says chmod 600")
    func checkConfigKeyPermissions() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        #expect(try EdgeLedgerBinary.run(["init", "--dir", dir.path, "--origin", "a.example/gw"]).code == 0)
        let keyPath = dir.file("keys/ed25519.key")
        #expect(chmod(keyPath, 0o644) == 0)
        let r = try EdgeLedgerBinary.run(["check-config", dir.file("edge-ledger.toml")])
        #expect(r.code == 1)
        #expect(r.stderr.contains("keys.signing[0].path:"))
        #expect(r.stderr.contains("chmod 600 \(keyPath)"))

        #expect(chmod(keyPath, 0o600) == 0)
        #expect(unlink(keyPath) == 0)
        let gone = try EdgeLedgerBinary.run(["check-config", dir.file("edge-ledger.toml")])
        #expect(gone.code == 1)
        #expect(gone.stderr.contains("keys.signing[0].path:"))
        #expect(gone.stderr.contains("keygen"))
    }

    @Test("check-config reports a key readable by others together with the configuration's other problems")
    func checkConfigKeyPermissionsWithOtherProblems() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        #expect(try EdgeLedgerBinary.run(["init", "--dir", dir.path, "--origin", "a.example/gw"]).code == 0)
        let keyPath = dir.file("keys/ed25519.key")
        #expect(chmod(keyPath, 0o644) == 0)
        let path = dir.file("edge-ledger.toml")
        try Files.write(path, try Files.text(path).replacingOccurrences(of: "qos = 1 ", with: "qos = 7 "))
        let r = try EdgeLedgerBinary.run(["check-config", path])
        #expect(r.code == 1)
        #expect(r.stderr.contains("mqtt.topics[0].qos"), "\(r.stderr)")
        #expect(r.stderr.contains("keys.signing[0].path:"), "\(r.stderr)")
        #expect(r.stderr.contains("chmod 600 \(keyPath)"), "\(r.stderr)")
        #expect(r.stderr.contains("2 problems"), "\(r.stderr)")
    }

    @Test("check-config notices a key of another algorithm than configured")
    func checkConfigAlgorithmMismatch() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        #expect(try EdgeLedgerBinary.run(["init", "--dir", dir.path, "--origin", "a.example/gw"]).code == 0)
        #expect(
            try EdgeLedgerBinary.run(["keygen", "--alg", "p256", "--name", "a.example/gw", "--out", dir.file("keys")])
                .code == 0)
        let path = dir.file("edge-ledger.toml")
        var text = try Files.text(path)
        text = text.replacingOccurrences(
            of: "algorithm = \"ed25519\"\n",
            with: "algorithm = \"ed25519\"\n[[keys.signing]]\npath = \"keys/p256.key\"\nalgorithm = \"sm2\"\n")
        try Files.write(path, text)
        let r = try EdgeLedgerBinary.run(["check-config", path])
        #expect(r.code == 1)
        #expect(r.stderr.contains("keys.signing[1].algorithm:"))
    }
}

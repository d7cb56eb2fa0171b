import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerTestSupport
import Foundation
import Testing

@Suite("CLI enroll and the upstream's registry commands")
struct CLIEnrollTests {
    @Test("enroll prints the [[gateways]] entry the upstream needs; gateways add takes it, refuses it twice")
    func enrollThenAdd() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let setup = dir.file("gw")
        let origin = "factory.example/plant-7/gw-12"
        #expect(try EdgeLedgerBinary.run(["init", "--dir", setup, "--origin", origin]).code == 0)
        let enroll = try EdgeLedgerBinary.run([
            "enroll", "--config", setup + "/edge-ledger.toml", "--url", "https://gw-12.plant-7:8443",
            "--witness-client", "gw-12", "--output", dir.file("gw-12.toml"),
        ])
        #expect(enroll.code == 0, "\(enroll.stderr)")
        let text = try Files.text(dir.file("gw-12.toml"))
        #expect(!text.contains("PRIVATE"), "nothing secret is handed over")
        let entry = text.split(separator: "\n").filter { !$0.hasPrefix("#") && $0 != "[[gateways]]" }
            .joined(separator: "\n")
        let gateway = try ConfigLoader.parseGateway(toml: entry)
        let key = try KeyFile.load(path: setup + "/keys/ed25519.key")
        #expect(gateway.origin == origin && gateway.url == "https://gw-12.plant-7:8443")
        #expect(gateway.verifierKeys == [NoteKeys.verifierKey(for: key, name: origin).string])
        #expect(gateway.witnessClients == ["gw-12"])
        #expect(
            try EdgeLedgerBinary.run(["enroll", "--config", setup + "/edge-ledger.toml"]).code != 0, "--url is required"
        )

        // The upstream side, on an SQLite store (not running).
        try KeyFile.save(try PrivateKey.generate(.ed25519), to: dir.file("witness.key"))
        try """
        [witness]
        name = "witness.example/dc-1"
        key_file = "witness.key"
        [storage]
        path = "upstream.db"
        durability = "process"
        """.write(toFile: dir.file("upstream.toml"), atomically: true, encoding: .utf8)
        let up = ["--config", dir.file("upstream.toml")]
        func upstream(_ arguments: [String]) throws -> CLIResult {
            try EdgeLedgerBinary.run(arguments, executable: "edge-ledger-upstream")
        }
        let migrate = try upstream(["migrate"] + up)
        #expect(migrate.code == 0, "\(migrate.stderr)")
        let tail = migrate.stdout.split(separator: ": schema version ").last ?? ""
        let versions = tail.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(versions.count == 2 && versions[0] == versions[1] && versions[0] >= 3, "\(migrate.stdout)")
        let add = try upstream(["gateways", "add", "--from", dir.file("gw-12.toml")] + up)
        #expect(add.code == 0 && add.stdout.contains("enrolled \(origin)"), "\(add.stderr)")
        let again = try upstream(["gateways", "add", "--from", dir.file("gw-12.toml")] + up)
        #expect(again.code == 1 && again.stderr.contains("is already enrolled"), "\(again.stderr)")
        let list = try upstream(["gateways", "list"] + up)
        #expect(list.code == 0 && list.stdout.contains("\(origin)\tpull\tyes"), "\(list.stdout)")
        #expect(try upstream(["gateways", "disable", origin] + up).code == 0)
        let show = try upstream(["gateways", "show", origin] + up)
        #expect(show.stdout.contains("DISABLED") && show.stdout.contains("url = \"https://gw-12.plant-7:8443\""))
        let other = NoteKeys.verifierKey(for: try PrivateKey.generate(.ed25519), name: origin).string
        let rotate = try upstream(["gateways", "rotate-key", origin, "--add", other] + up)
        #expect(rotate.code == 0 && rotate.stdout.contains("2 verifier key(s)"), "\(rotate.stderr)")
        let bad = try upstream(["gateways", "rotate-key", origin, "--add", "not-a-key"] + up)
        #expect(bad.code == 1 && bad.stderr.contains("verifier"), "\(bad.stderr)")
        #expect(try upstream(["gateways", "show", "nobody.example"] + up).code == 1)

        // A gateway behind NAT: enrolled in push mode, without a URL, by its own file.
        let pushed = try EdgeLedgerBinary.run([
            "enroll", "--config", setup + "/edge-ledger.toml", "--mode", "push", "--output", dir.file("push.toml"),
        ])
        #expect(pushed.code == 0, "\(pushed.stderr)")
        let pushText = try Files.text(dir.file("push.toml"))
        #expect(pushText.contains("mode = \"push\"") && !pushText.contains("url ="), "\(pushText)")
        let switched = try upstream(["gateways", "add", "--from", dir.file("push.toml"), "--update"] + up)
        #expect(switched.code == 0 && switched.stdout.contains(", push)"), "\(switched.stdout)\(switched.stderr)")
        let listed = try upstream(["gateways", "list"] + up)
        #expect(listed.stdout.contains("\(origin)\tpush"), "\(listed.stdout)")
        let pullWithoutURL = try upstream(
            ["gateways", "add", "--from", dir.file("push.toml"), "--update", "--mode", "pull"] + up)
        #expect(pullWithoutURL.code != 0 && pullWithoutURL.stderr.contains("url"), "\(pullWithoutURL.stderr)")
    }
}

import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Testing

/// `edge-ledger status`, run as the real binary against stores written with the real store.
@Suite("CLI status")
struct StatusCommandTests {
    static let origin = "test.example/plant-1/gw-7"
    static let second: Int64 = 1_000_000_000

    static func now() -> Int64 { SystemClock.nowNanoseconds() }

    /// A store as a running gateway leaves it: 10 sealed entries (sealed two minutes ago), 3
    /// pending, rejected readings of several reasons and ages, and two upstream states. While the
    /// returned store is alive, this process holds its writer lock, as a running agent does.
    static func makeStore(at path: String, now: Int64) throws -> LedgerStore {
        let store = try LedgerStore(path: path, hasher: try OpenSSLHasher(.sha256), origin: origin)
        let key = try PrivateKey.generate(.ed25519)
        let signer = NoteKeys.signer(for: key, name: origin)
        for i in 0..<10 {
            try store.append(
                ReadingInput(
                    receivedAt: now - 200 * second + Int64(i), qos: 1, topic: "factory/p\(i)/telemetry",
                    payload: Array("{\"v\":\(i)}".utf8)))
        }
        _ = try store.seal(now: now - 120 * second) { request in
            try NoteSigning.sign(
                text: Checkpoint(origin: origin, size: request.size, root: request.root).text, with: [signer]
            ).serialized
        }
        for i in 0..<3 {
            try store.append(
                ReadingInput(receivedAt: now - Int64(i), qos: 0, topic: "factory/p1/raw", payload: [UInt8(i)]))
        }
        let rejections: [(Int64, String)] = [
            (now - 10 * second, "payload_too_large: 70000 bytes > ingest.max_payload_bytes 16384"),
            (now - 20 * second, "payload_too_large: 20000 bytes > ingest.max_payload_bytes 16384"),
            (now - 30 * second, "topic_not_configured: factory/p1/debug"),
            (now - 7200 * second, "payload_not_json_object: expected '{'"),
        ]
        for (time, reason) in rejections {
            _ = try store.reject(
                RejectedReading(receivedAt: time, topic: "factory/p1/telemetry", reason: reason, payload: [1, 2]))
        }
        var dc1 = UpstreamState(name: "dc-1")
        dc1.ackedSize = 4
        dc1.ackedAt = now - 300 * second
        dc1.lastPushAt = now - 5 * second
        dc1.lastPushedSize = 10
        dc1.lastPushResult = "HTTP 503"
        dc1.consecutiveFailures = 2
        try store.saveUpstream(dc1)
        var old = UpstreamState(name: "retired")
        old.ackedSize = 10
        old.lastPushResult = "ok"
        try store.saveUpstream(old)
        return store
    }

    /// Writes an agent configuration for `store` and returns its path.
    static func writeConfiguration(
        in dir: TemporaryFolder, store: String, listen: String = "127.0.0.1:9", http: String = "", extra: String = ""
    ) throws -> String {
        let path = dir.file("edge-ledger.toml")
        try Files.write(
            path,
            """
            [identity]
            origin = "\(origin)"
            [[keys.signing]]
            path = "keys/ed25519.key"
            [mqtt]
            client_id = "edge-ledger-test"
            username = "edge"
            password_env = "EDGE_LEDGER_STATUS_TEST_SURELY_UNSET"   # status needs no secrets
            [[mqtt.topics]]
            filter = "factory/+/telemetry"
            [seal]
            interval = "1s"
            [storage]
            path = "\(store)"
            quota = "1MiB"
            [http]
            listen = "\(listen)"
            \(http)
            [[upstreams]]
            name = "dc-1"
            url = "https://dc-1.example"
            verifier_key = "witness.example/dc-1+a1b2c3d4+BJ3Nxyjfu1ShJLG0b8sXXt+qJkqHqIvX8J2sMvSzw/0m"
            [[upstreams]]
            name = "dc-2"
            witness = false
            required_for_retention = true
            [[http.tokens]]
            name = "dc-2"
            token_sha256 = "\(String(repeating: "ab", count: 32))"
            \(extra)
            """)
        return path
    }

    /// Runs `edge-ledger status ARGS`, optionally with `EDGE_LEDGER_TOKEN` set.
    static func status(_ arguments: [String], token: String? = nil) throws -> CLIResult {
        guard let token else { return try EdgeLedgerBinary.run(["status"] + arguments, timeout: 60) }
        let exe = try BuiltProducts.executable("edge-ledger")
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let out = dir.file("stdout")
        let err = dir.file("stderr")
        let script =
            "EDGE_LEDGER_TOKEN=\(EdgeLedgerBinary.shellQuote(token)) exec \"$0\" status \"$@\" "
            + ">\(EdgeLedgerBinary.shellQuote(out)) 2>\(EdgeLedgerBinary.shellQuote(err))"
        return try EdgeLedgerBinary.shell(script, arguments: [exe] + arguments, stdout: out, stderr: err, timeout: 60)
    }

    static func json(_ result: CLIResult) throws -> [String: Any] {
        #expect(result.code == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(result.stdout)")
    }

    @Test("--json: tree size, pending, checkpoint age, rejections by reason, disk, upstreams, agent")
    func jsonReport() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        let store = try Self.makeStore(at: db, now: Self.now())
        let config = try Self.writeConfiguration(in: dir, store: db)
        let o = try Self.json(try Self.status(["--config", config, "--json", "--no-api"]))
        #expect(o["origin"] as? String == Self.origin)
        #expect(o["tree_size"] as? Int == 10)
        #expect(o["entries"] as? Int == 13)
        #expect(o["pending_seal"] as? Int == 3)
        let checkpoint = try #require(o["last_checkpoint"] as? [String: Any])
        #expect(checkpoint["size"] as? Int == 10)
        #expect((checkpoint["age_seconds"] as? Int).map { (120...180).contains($0) } == true)
        #expect((checkpoint["time"] as? String)?.hasSuffix("Z") == true)
        let rejected = try #require(o["rejected"] as? [String: Any])
        #expect(rejected["last_hour"] as? Int == 3)
        #expect(rejected["total"] as? Int == 4)
        let byReason = try #require(rejected["last_hour_by_reason"] as? [String: Any])
        #expect(byReason["payload_too_large"] as? Int == 2)
        #expect(byReason["topic_not_configured"] as? Int == 1)
        #expect(byReason.count == 2)
        #expect(rejected["by_reason_sampled"] as? Bool == false)
        let storeObject = try #require(o["store"] as? [String: Any])
        #expect(storeObject["path"] as? String == db)
        #expect(storeObject["exists"] as? Bool == true)
        #expect(storeObject["hash"] as? String == "sha256")
        #expect((storeObject["bytes"] as? Int).map { $0 > 0 } == true)
        #expect(storeObject["quota_bytes"] as? Int == 1 << 20)
        #expect((storeObject["quota_used"] as? Double).map { $0 > 0 && $0 < 1 } == true)
        #expect(storeObject["overflow"] as? String == "backpressure")
        let upstreams = try #require(o["upstreams"] as? [[String: Any]])
        #expect(upstreams.compactMap { $0["name"] as? String } == ["dc-1", "dc-2", "retired"])
        #expect(upstreams[0]["acked_size"] as? Int == 4)
        #expect(upstreams[0]["lag_entries"] as? Int == 6)
        #expect(upstreams[0]["last_push_result"] as? String == "HTTP 503")
        #expect(upstreams[0]["consecutive_failures"] as? Int == 2)
        #expect(upstreams[0]["witness"] as? Bool == true)
        #expect(upstreams[1]["required_for_retention"] as? Bool == true)
        #expect(upstreams[1]["acked_at"] is NSNull)
        #expect(upstreams[1]["lag_entries"] as? Int == 10)
        #expect(upstreams[2]["configured"] as? Bool == false)
        #expect(upstreams[2]["witness"] is NSNull)
        // This test process holds the store's writer lock, as a running agent would.
        let agent = try #require(o["agent"] as? [String: Any])
        #expect(agent["running"] as? Bool == true)
        #expect(agent["pid"] as? Int == Int(getpid()))
        #expect(agent["api_state"] as? String == "not_queried")
        #expect(agent["broker"] as? String == "unknown")
        let problems = try #require(o["problems"] as? [String])
        #expect(problems.contains { $0.contains("upstream dc-1: 2 failed pushes in a row (last: HTTP 503)") })
        #expect(problems.contains { $0.contains("3 readings were rejected in the last hour") })
        #expect((o["generated_at"] as? String)?.hasSuffix("Z") == true)
        _ = store
    }

    @Test("the human view: aligned, plain when piped, coloured with --color always, attention list")
    func humanView() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        let store = try Self.makeStore(at: db, now: Self.now())
        let config = try Self.writeConfiguration(in: dir, store: db)
        let r = try Self.status(["--config", config, "--no-api"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("\u{1B}["))
        let lines = r.lines
        #expect(lines.contains { $0.hasPrefix("origin:") && $0.hasSuffix(Self.origin) })
        #expect(lines.contains { $0.hasPrefix("tree size:") && $0.contains("10 sealed, 13 entries") })
        #expect(lines.contains { $0.hasPrefix("pending seal:") && $0.hasSuffix(" 3") })
        #expect(lines.contains { $0.hasPrefix("last checkpoint:") && $0.contains("size 10 at ") && $0.contains("m ") })
        #expect(lines.contains { $0.hasPrefix("rejected:") && $0.contains("3 in the last hour, 4 in total") })
        #expect(lines.contains { $0.hasSuffix("2 payload_too_large") })
        #expect(lines.contains { $0.hasPrefix("disk:") && $0.contains("of quota 1.0 MiB") })
        #expect(lines.contains { $0.hasPrefix("upstream dc-1:") && $0.contains("lag 6") && $0.contains("HTTP 503") })
        #expect(lines.contains { $0.hasPrefix("upstream retired:") && $0.contains("(not in the configuration)") })
        #expect(lines.contains { $0.hasPrefix("agent:") && $0.contains("running (pid \(getpid()))") })
        #expect(lines.contains("attention:"))
        // Every value starts in the same column.
        let labelled = lines.prefix { $0 != "attention:" }.filter { !$0.hasPrefix(" ") }
        var columns = Set<Int>()
        for line in labelled {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let afterColon = line[line.index(after: colon)...]
            columns.insert(line.distance(from: line.startIndex, to: colon) + afterColon.prefix { $0 == " " }.count)
        }
        #expect(columns.count == 1, "\(labelled)")
        let colored = try Self.status(["--config", config, "--no-api", "--color", "always"])
        #expect(colored.stdout.contains("\u{1B}[32m"))
        _ = store
    }

    @Test("with no agent holding the store, status says so; --db works without a configuration")
    func agentStopped() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        do { _ = try Self.makeStore(at: db, now: Self.now()) }  // closed again: the lock is released
        let o = try Self.json(try Self.status(["--db", db, "--json"]))
        #expect(o["origin"] as? String == Self.origin)  // recorded in the store
        #expect((o["store"] as? [String: Any])?["quota_bytes"] is NSNull)
        #expect((o["upstreams"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["dc-1", "retired"])
        let agent = try #require(o["agent"] as? [String: Any])
        #expect(agent["running"] as? Bool == false)
        #expect(agent["pid"] is NSNull)
        #expect(agent["api_detail"] as? String == "no configuration")
        #expect((o["problems"] as? [String])?.first?.contains("no agent has the store open") == true)
        let text = try Self.status(["--db", db])
        #expect(text.lines.contains { $0.hasPrefix("agent:") && $0.contains("not running") })
    }

    @Test("a configured store not created yet is a report; a missing --db and bad options are errors")
    func missingStore() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("never-created.db")
        let config = try Self.writeConfiguration(in: dir, store: db)
        let o = try Self.json(try Self.status(["--config", config, "--json", "--no-api"]))
        #expect((o["store"] as? [String: Any])?["exists"] as? Bool == false)
        #expect(o["last_checkpoint"] is NSNull)
        #expect(
            (o["problems"] as? [String]) == [
                "the store \(db) does not exist yet: the agent creates it at its first start"
            ])
        let text = try Self.status(["--config", config, "--no-api"])
        #expect(text.code == 0)
        #expect(text.stdout.contains("(not created yet)"))
        let missing = try Self.status(["--db", db])
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("does not exist"))
        let both = try Self.status(["--db", db, "--config", config])
        #expect(both.code != 0)
        #expect(both.stderr.contains("not both"))
        let invalid = dir.file("invalid.toml")
        try Files.write(invalid, "[identity]\norigin = 5\n")
        let bad = try Self.status(["--config", invalid])
        #expect(bad.code == 1)
        #expect(bad.stderr.contains("identity.origin"))
    }

    @Test("readiness and broker state come from the agent's /status document; an absent API is not an error")
    func liveAPI() async throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        let store = try Self.makeStore(at: db, now: Self.now())

        let notReady = LedgerReadiness(
            problems: ["MQTT broker not connected", "store quota reached"], brokerConnected: false)
        let port = try FreePort.find()
        let config = try Self.writeConfiguration(
            in: dir, store: db, listen: "127.0.0.1:\(port)", http: "prefix = \"/ledger\"")
        let answer = try await LiveAgentAPI.with(configPath: config, store: store, readiness: notReady) {
            try await LiveAgentAPI.offThread {
                try StatusCommandTests.status(["--config", config, "--json"], token: "secret-token")
            }
        }
        let o = try Self.json(answer)
        let agent = try #require(o["agent"] as? [String: Any])
        #expect(agent["api"] as? String == "http://127.0.0.1:\(port)/ledger")
        #expect(agent["api_state"] as? String == "not_ready")
        #expect(agent["api_detail"] as? String == "MQTT broker not connected; store quota reached")
        #expect(agent["broker"] as? String == "disconnected")
        let problems = try #require(o["problems"] as? [String])
        #expect(problems.contains { $0.contains("not ready") })
        #expect(problems.contains { $0.contains("not connected to the MQTT broker") })

        // A wildcard listener is asked on loopback; warnings of a ready agent are its detail.
        let wildcardPort = try FreePort.find()
        let wildcard = try Self.writeConfiguration(
            in: dir, store: db, listen: "0.0.0.0:\(wildcardPort)", http: "allow_plaintext = true")
        let ready = LedgerReadiness(warnings: ["warning: unacknowledged journal damage"], brokerConnected: true)
        let (goodJSON, goodText) = try await LiveAgentAPI.with(configPath: wildcard, store: store, readiness: ready) {
            try await LiveAgentAPI.offThread {
                (
                    try StatusCommandTests.status(["--config", wildcard, "--json"]),
                    try StatusCommandTests.status(["--config", wildcard])
                )
            }
        }
        let good = try Self.json(goodJSON)
        #expect((good["agent"] as? [String: Any])?["api"] as? String == "http://127.0.0.1:\(wildcardPort)")
        #expect((good["agent"] as? [String: Any])?["api_state"] as? String == "ready")
        #expect((good["agent"] as? [String: Any])?["api_detail"] as? String == "warning: unacknowledged journal damage")
        #expect((good["agent"] as? [String: Any])?["broker"] as? String == "connected")
        #expect(goodText.lines.contains { $0.hasPrefix("broker:") && $0.hasSuffix("connected") })

        // Nothing listens: still a report, exit 0.
        let offline = try Self.writeConfiguration(in: dir, store: db, listen: "127.0.0.1:\(try FreePort.find())")
        let down = try Self.json(try Self.status(["--config", offline, "--json", "--timeout", "2"]))
        #expect((down["agent"] as? [String: Any])?["api_state"] as? String == "unreachable")
        #expect((down["agent"] as? [String: Any])?["broker"] as? String == "unknown")
    }

    @Test(
        "status speaks the listener's TLS and mutual TLS: --ca-file, --cert and --key", .enabled(if: TestPKI.available))
    func tlsAPI() async throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let pki = try TestPKI(directory: dir.url)
        try pki.issue("operator", subject: "/O=Example/CN=operator")
        let db = dir.file("ledger.db")
        let store = try Self.makeStore(at: db, now: Self.now())
        let port = try FreePort.find()
        let tls = try Self.writeConfiguration(
            in: dir, store: db, listen: "127.0.0.1:\(port)",
            extra: "[http.tls]\ncert_file = \"\(pki.path("server.crt"))\"\nkey_file = \"\(pki.path("server.key"))\"")
        let ready = LedgerReadiness(brokerConnected: true)
        let (untrustedAnswer, trustedAnswer) = try await LiveAgentAPI.with(
            configPath: tls, store: store, readiness: ready
        ) {
            try await LiveAgentAPI.offThread {
                (
                    try StatusCommandTests.status(["--config", tls, "--json"]),
                    try StatusCommandTests.status(["--config", tls, "--json", "--ca-file", pki.path("ca.crt")])
                )
            }
        }
        let (untrusted, trusted) = (try Self.json(untrustedAnswer), try Self.json(trustedAnswer))
        // The test CA is not in the system's trust store: refused, saying what to pass.
        let refused = try #require(untrusted["agent"] as? [String: Any])
        #expect(refused["api"] as? String == "https://127.0.0.1:\(port)")
        #expect(refused["api_state"] as? String == "unreachable")
        #expect((refused["api_detail"] as? String)?.contains("--ca-file") == true)
        #expect((trusted["agent"] as? [String: Any])?["api_state"] as? String == "ready")
        #expect((trusted["agent"] as? [String: Any])?["broker"] as? String == "connected")

        // With client_ca_file every client needs a certificate.
        let mutual = try Self.writeConfiguration(
            in: dir, store: db, listen: "127.0.0.1:\(try FreePort.find())",
            extra: "[http.tls]\ncert_file = \"\(pki.path("server.crt"))\"\nkey_file = \"\(pki.path("server.key"))\"\n"
                + "client_ca_file = \"\(pki.path("ca.crt"))\"")
        let (anonymousAnswer, identifiedAnswer) = try await LiveAgentAPI.with(
            configPath: mutual, store: store, readiness: ready
        ) {
            try await LiveAgentAPI.offThread {
                let ca = ["--ca-file", pki.path("ca.crt")]
                return (
                    try StatusCommandTests.status(["--config", mutual, "--json"] + ca),
                    try StatusCommandTests.status(
                        [
                            "--config", mutual, "--json", "--cert", pki.path("operator.crt"), "--key",
                            pki.path("operator.key"),
                        ]
                            + ca)
                )
            }
        }
        let (anonymous, identified) = (try Self.json(anonymousAnswer), try Self.json(identifiedAnswer))
        #expect((anonymous["agent"] as? [String: Any])?["api_state"] as? String == "unreachable")
        #expect((identified["agent"] as? [String: Any])?["api_state"] as? String == "ready")
    }
}

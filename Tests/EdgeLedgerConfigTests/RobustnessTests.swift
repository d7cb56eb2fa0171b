import EdgeLedgerCore
import Testing

/// The loader returns an error, never traps, on arbitrary input.
@Suite struct RobustnessTests {
    /// A small deterministic generator (SplitMix64).
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    @Test func mutatedDocumentsNeverCrash() {
        let seeds = [ConfigFixture.minimalAgent, ConfigFixture.minimalUpstream]
        let alphabet = Array("[]{}=\"'#.,\n +-_0123456789abcxyz\\/\u{0}é".unicodeScalars)
        var rng = Generator(state: 42)
        for round in 0..<1500 {
            var scalars = Array(seeds[round % 2].unicodeScalars)
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let i = Int.random(in: 0..<scalars.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: scalars[i] = alphabet.randomElement(using: &rng)!
                case 1: scalars.insert(alphabet.randomElement(using: &rng)!, at: i)
                default: if scalars.count > 1 { scalars.remove(at: i) }
                }
            }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars)
            _ = try? ConfigLoader.parse(toml: text, environment: [:])
            _ = try? ConfigLoader.parseUpstream(toml: text, environment: [:])
        }
    }

    /// Random documents built from the schema's own key names and edge-case values exercise
    /// every validation path; none may trap.
    @Test func randomSchemaDocumentsNeverCrash() {
        var rng = Generator(state: 7)
        for _ in 0..<4000 {
            let document = SchemaFuzz.documents.table(depth: 0, using: &rng)
            _ = try? AgentConfiguration(from: document, environment: ["ENV_X": "v", "EMPTY": ""], baseDirectory: "/b")
            _ = try? UpstreamConfiguration(from: document, environment: ["ENV_X": "v"], baseDirectory: nil)
        }
    }

    @Test func hostileValues() {
        let cases = [
            "\"a\\u0000b\" = 1\n\"a\" = 2",
            "x = 9223372036854775807\ny = -9223372036854775808",
            "[mqtt]\nport = -9223372036854775808\nkeepalive = \"99999999999999d\"",
            "[storage]\nquota = 9223372036854775807",
            "[seal]\ninterval = 1979-05-27T07:32:00Z",
            String(repeating: "[", count: 10_000),
            "a = " + String(repeating: "[", count: 2_000) + String(repeating: "]", count: 2_000),
            "[[mqtt.topics]]\nfilter = \"" + String(repeating: "a/", count: 40_000) + "\"",
            "\u{FEFF}[identity]\norigin = \"x\"",
            "a" + String(repeating: ".a", count: 100) + " = 1",
            "[" + String(repeating: "a.", count: 5_000) + "a]",
            "a = " + String(repeating: "{b = ", count: 500) + "1" + String(repeating: "}", count: 500),
        ]
        for text in cases {
            #expect(throws: ConfigError.self) { try ConfigLoader.parse(toml: text, environment: [:]) }
        }
    }
}

/// Generates random documents over the configuration schema.
enum SchemaFuzz {
    static let keys = [
        "identity", "origin", "hash", "keys", "signing", "path", "algorithm", "mqtt", "host", "port", "client_id",
        "protocol", "keepalive", "username", "password", "password_env", "clean_session", "session_expiry", "tls",
        "ca_file", "cert_file", "key_file", "insecure", "reconnect", "initial", "max", "topics", "filter", "qos",
        "format", "ingest", "max_payload_bytes", "max_topic_bytes", "reject_log_interval", "rejected_sample_bytes",
        "seal", "interval", "max_entries", "storage", "durability", "quota", "overflow", "retention",
        "prune_payloads", "min_age", "required_upstreams", "http", "enabled", "listen", "prefix", "allow_plaintext",
        "allow_anonymous_read", "max_body_bytes", "request_timeout", "client_ca_file", "tokens", "name",
        "token_sha256", "token_env", "token", "upstreams", "url", "witness", "required_for_retention",
        "client_subject", "verifier_key", "timeout", "backoff", "log", "level", "metrics", "allow_anonymous",
        "gateways", "verifier_keys", "pull_interval", "acknowledge", "anchor", "command", "retry", "durabilty",
    ]
    static let strings = [
        "", "x", "-1s", "1s", "10ms", "99999999999999d", "0", "64MiB", "-5KiB", "9223372036854775807TiB", "a/#/b", "#",
        "+", "factory/+/t", "factory/#", "$SYS/#", "127.0.0.1:8080", "0.0.0.0:80", "[::1]:1", "[::1]", "::", ":80",
        "http://h", "https://h/", "ftp://x", "http://", "a+b+c", "never", "json", "raw", "3.1.1", "5", "sha256", "sm3",
        "ed25519", "p256", "sm2", "process", "power", "backpressure", "drop-oldest-acked", "stop", "ENV_X", "EMPTY",
        "MISSING", "1BAD", "\u{0}", "é", "/ledger", "ledger/", "CN=dc-1", "info", "text",
        "g+a1b2c3d4+AZ3Nxyjfu1ShJLG0b8sXXt+qJkqHqIvX8J2sMvSzw/0m",
        "c91cbbedf8c712e8e2b7517ddeca8fe4fde839ebd8339e0b2001363002b37712",
        String(repeating: "long/", count: 300),
    ]
    static let integers: [Int64] = [0, 1, 2, 3, -1, 1883, 65535, 65536, 60000, 60001, Int64.max, Int64.min, 1 << 40]

    /// Documents over the schema's key names and edge-case values.
    static let documents = RandomTOML(
        keys: keys, strings: strings, integers: integers, floats: [.nan, -0.5], datetimes: ["1979-05-27"],
        breadth: 12)
}

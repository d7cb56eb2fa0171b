import EdgeLedgerCore
import EdgeLedgerSystem
import Testing

/// The example configurations in `Configs/` must always load.
@Suite struct ShippedConfigTests {
    private let configs = ConfigFixture.repositoryRoot + "/Configs"

    @Test func annotatedAgentConfigLoads() throws {
        let config = try ConfigLoader.load(path: configs + "/edge-ledger.toml", environment: [:])
        #expect(config.identity.origin == "factory.example/plant-7/gw-12")
        #expect(config.keys.signing == [SigningKeyConfiguration(path: configs + "/keys/ed25519.key")])
        #expect(config.mqtt.topics.map(\.filter.text) == ["factory/+/telemetry", "factory/+/raw"])
        // The annotated file shows defaults: loading it must give the same as the built-in defaults.
        #expect(config.ingest == IngestConfiguration())
        #expect(config.seal == SealConfiguration())
        #expect(config.storage == StorageConfiguration())
        #expect(config.http == HTTPConfiguration())
        #expect(config.log == LogConfiguration())
        #expect(config.metrics == MetricsConfiguration())
        #expect(config.upstreams.isEmpty)
    }

    /// Every commented-out `key = value` line of the annotated file is a valid default: uncommenting
    /// them all (keeping the documented defaults) still loads, and changes nothing.
    @Test func annotatedDefaultsAreTheRealDefaults() throws {
        let text = try #require(try? ConfigFixture.readText(configs + "/edge-ledger.toml"))
        let baseline = try ConfigLoader.parse(toml: text, environment: [:], baseDirectory: "/etc/edge-ledger")
        let defaultLines: Set<String> = [
            "# hash = \"sha256\"", "# algorithm = \"ed25519\"", "# host = \"localhost\"", "# protocol = \"3.1.1\"",
            "# keepalive = \"30s\"", "# clean_session = false", "# max_payload_bytes = 16384",
            "# max_topic_bytes = 512", "# reject_log_interval = \"10s\"", "# rejected_sample_bytes = 64",
            "# interval = \"1s\"", "# max_entries = 10000", "# path = \"/var/lib/edge-ledger/ledger.db\"",
            "# durability = \"process\"", "# quota = 0", "# overflow = \"backpressure\"", "# enabled = true",
            "# listen = \"127.0.0.1:8080\"", "# prefix = \"\"", "# allow_plaintext = false",
            "# allow_anonymous_read = false", "# max_body_bytes = \"64KiB\"", "# request_timeout = \"30s\"",
            "# level = \"info\"", "# format = \"text\"", "# allow_anonymous = false",
        ]
        var uncommented = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let code = line.split(separator: "#", maxSplits: 2, omittingEmptySubsequences: false)
            guard code.count >= 2 else { return String(line) }
            let candidate = "# " + code[1].trimmingSpaces()
            guard defaultLines.contains(candidate) else { return String(line) }
            uncommented += 1
            return String(code[1])
        }
        #expect(uncommented >= defaultLines.count)
        let explicit = try ConfigLoader.parse(
            toml: lines.joined(separator: "\n"), environment: [:], baseDirectory: "/etc/edge-ledger")
        #expect(explicit == baseline)
    }

    @Test func devConfigLoads() throws {
        let config = try ConfigLoader.load(path: configs + "/dev.toml", environment: [:])
        #expect(config.mqtt.host == "127.0.0.1")
        #expect(config.mqtt.port == 1883)
        #expect(config.mqtt.topics.count == 2)
        #expect(config.mqtt.topics[0].qos == 1 && config.mqtt.topics[0].format == .json)
        #expect(config.mqtt.topics[1].qos == 0 && config.mqtt.topics[1].format == .raw)
        #expect(config.storage.path == configs + "/data/ledger.db")
        #expect(config.keys.signing[0].path == configs + "/keys/ed25519.key")
        #expect(config.http.listen == HostPort(host: "127.0.0.1", port: 8080))
        #expect(config.http.tls == nil)
        #expect(config.warnings.isEmpty)
    }

    @Test func upstreamConfigLoads() throws {
        let config = try ConfigLoader.loadUpstream(path: configs + "/upstream.toml", environment: [:])
        #expect(config.witness.name == "witness.example/dc-1")
        #expect(config.witness.keyFile == configs + "/keys/witness-ed25519.key")
        #expect(config.gateways.count == 1)
        #expect(config.gateways[0].url == "http://127.0.0.1:8080")
        #expect(config.gateways[0].token?.value == "dev-token")
        #expect(config.anchor.isEnabled == false)
        #expect(config.storage.durability == .power)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

import EdgeLedgerCore
import Testing

/// The defaults are what docs/CONFIGURATION.md says.
@Suite struct DefaultsTests {
    @Test func agentDefaults() throws {
        let config = try ConfigLoader.parse(toml: ConfigFixture.minimalAgent, environment: [:])
        #expect(config.identity.hash == .sha256)
        #expect(config.keys.signing[0].algorithm == .ed25519)
        #expect(config.mqtt.host == "localhost")
        #expect(config.mqtt.port == 1883)
        #expect(config.mqtt.protocolVersion == .v311)
        #expect(config.mqtt.keepalive == .seconds(30))
        #expect(config.mqtt.cleanSession == false)
        #expect(config.mqtt.sessionExpiry == .seconds(7 * 86_400))
        #expect(config.mqtt.receiveMaximum == 256)
        #expect(config.mqtt.tls == nil)
        #expect(config.mqtt.reconnect == BackoffConfiguration(initial: .seconds(1), max: .seconds(60)))
        #expect(config.mqtt.topics[0].qos == 1)
        #expect(config.mqtt.topics[0].format == .json)
        #expect(config.ingest.maxPayloadBytes == 16_384)
        #expect(config.ingest.rejectLogInterval == .seconds(10))
        #expect(config.seal.interval == .seconds(1))
        #expect(config.seal.maxEntries == 10_000)
        #expect(config.storage.path == "/var/lib/edge-ledger/ledger.db")
        #expect(config.storage.durability == .process)
        #expect(config.storage.quotaBytes == nil)
        #expect(config.storage.overflow == .backpressure)
        #expect(config.storage.retention.prunePayloads == false)
        #expect(config.storage.retention.minAge == .seconds(30 * 86_400))
        #expect(config.http.enabled)
        #expect(config.http.listen.description == "127.0.0.1:8080")
        #expect(config.http.prefix == "")
        #expect(config.http.allowAnonymousRead == false)
        #expect(config.http.maxBodyBytes == 65_536)
        #expect(config.http.requestTimeout == .seconds(30))
        #expect(config.http.tokens.isEmpty)
        #expect(config.upstreams.isEmpty)
        #expect(config.log == LogConfiguration(level: .info, format: .text))
        #expect(config.metrics == MetricsConfiguration(enabled: true, allowAnonymous: false))
        // Nobody can read: valid, but worth a warning.
        #expect(config.warnings.map(\.path) == ["http"])
    }

    @Test func upstreamDefaults() throws {
        let config = try ConfigLoader.parseUpstream(toml: ConfigFixture.minimalUpstream, environment: [:])
        #expect(config.http.listen.description == "127.0.0.1:8090")
        #expect(config.http.allowAnonymous)
        #expect(
            config.storage == UpstreamStorageConfiguration(path: "/var/lib/edge-ledger/upstream.db", durability: .power)
        )
        #expect(config.gateways[0].pullInterval == .seconds(10))
        #expect(config.gateways[0].hash == .sha256)
        #expect(config.gateways[0].acknowledge)
        #expect(config.anchor == AnchorConfiguration())
        #expect(config.anchor.retry == BackoffConfiguration(initial: .seconds(5), max: .seconds(600)))
    }

    @Test func explicitValues() throws {
        let toml =
            ConfigFixture.minimalAgent.replacingFirst(
                "client_id = \"gw-12\"",
                with: """
                    client_id = "gw-12"
                    host = "[fd00::1]"
                    protocol = "5"
                    session_expiry = "7d"
                    keepalive = "1m"
                    """)
                + """

                [mqtt.tls]
                [mqtt.reconnect]
                initial = "250ms"
                max = "2m"
                [storage]
                quota = "8GiB"
                overflow = "stop"
                durability = "power"
                [http]
                listen = "[::]:8443"
                prefix = "/ledger"
                [http.tls]
                cert_file = "/etc/tls/server.pem"
                key_file = "/etc/tls/server.key"
                [seal]
                interval = "1h"
                max_entries = 1
                """
        let config = try ConfigLoader.parse(toml: toml, environment: [:])
        #expect(config.mqtt.host == "fd00::1")
        #expect(config.mqtt.port == 8883)
        #expect(config.mqtt.protocolVersion == .v5)
        #expect(config.mqtt.sessionExpiry == .seconds(7 * 86_400))
        #expect(config.mqtt.keepalive == .seconds(60))
        #expect(config.mqtt.tls == TLSClientConfiguration())
        #expect(config.mqtt.reconnect == BackoffConfiguration(initial: .milliseconds(250), max: .seconds(120)))
        #expect(config.storage.quotaBytes == 8 << 30)
        #expect(config.storage.overflow == .backpressure)
        #expect(config.storage.durability == .power)
        #expect(config.http.listen == HostPort(host: "::", port: 8443))
        #expect(config.http.prefix == "/ledger")
        #expect(config.http.tls?.clientCAFile == nil)
        #expect(config.seal == SealConfiguration(interval: .seconds(3600), maxEntries: 1))
    }
}

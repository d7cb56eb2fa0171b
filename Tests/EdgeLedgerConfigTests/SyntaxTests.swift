import EdgeLedgerCore
import Testing

/// Durations, sizes, addresses and topic filters.
@Suite struct SyntaxTests {
    @Test func durations() {
        #expect(ConfigDuration.parse("500ms") == .milliseconds(500))
        #expect(ConfigDuration.parse("1s") == .seconds(1))
        #expect(ConfigDuration.parse("5m") == .seconds(300))
        #expect(ConfigDuration.parse("2h") == .seconds(7200))
        #expect(ConfigDuration.parse("30d") == .seconds(30 * 86_400))
        #expect(ConfigDuration.parse("1h30m") == .seconds(5400))
        #expect(ConfigDuration.parse("0") == .zero)
        for bad in ["", "10", "-1s", "1.5s", "1 s", "s", "1m1h", "1s1s", "1w", "99999999999999999d", "1S"] {
            #expect(ConfigDuration.parse(bad) == nil, "\(bad)")
        }
        #expect(ConfigDuration.format(.seconds(90)) == "1m30s")
        #expect(ConfigDuration.format(.milliseconds(1500)) == "1s500ms")
        #expect(ConfigDuration.format(.seconds(30 * 86_400)) == "30d")
        #expect(ConfigDuration.format(.zero) == "0")
    }

    @Test func sizes() {
        #expect(ConfigByteSize.parse("512KiB") == Int64(524_288))
        #expect(ConfigByteSize.parse("64MiB") == 64 << 20)
        #expect(ConfigByteSize.parse("1GiB") == 1 << 30)
        #expect(ConfigByteSize.parse("1 gib") == 1 << 30)
        #expect(ConfigByteSize.parse("10MB") == 10_000_000)
        #expect(ConfigByteSize.parse("100B") == 100)
        #expect(ConfigByteSize.parse("4096") == 4096)
        for bad in ["", "-1", "1.5GiB", "GiB", "1 ", "1  KiB", "1XB", "99999999999TiB", "99999999999999999999"] {
            #expect(ConfigByteSize.parse(bad) == nil, "\(bad)")
        }
        #expect(ConfigByteSize.format(64 << 20) == "64MiB")
        #expect(ConfigByteSize.format(60_000) == "60000")
    }

    @Test func hostPorts() {
        #expect(HostPort(parsing: "127.0.0.1:8080") == HostPort(host: "127.0.0.1", port: 8080))
        #expect(HostPort(parsing: "[::1]:80")?.isLoopback == true)
        #expect(HostPort(parsing: "gw.example:443")?.isLoopback == false)
        #expect(HostPort.problem(with: "::1:80") == "an IPv6 address must be written in brackets, e.g. \"[::1]:8080\"")
        #expect(HostPort.problem(with: "host") == "missing \":port\"")
        #expect(HostPort.problem(with: "host:0") == "port must be an integer 1...65535")
        #expect(HostPort.problem(with: ":80") != nil)
    }

    @Test func topicFilterMatching() throws {
        let filter = try #require(MQTTTopicFilter("factory/+/telemetry"))
        #expect(filter.matches(topic: "factory/press-1/telemetry"))
        #expect(!filter.matches(topic: "factory/press-1/telemetry/x"))
        #expect(!filter.matches(topic: "factory/telemetry"))
        let all = try #require(MQTTTopicFilter("#"))
        #expect(all.matches(topic: "a/b"))
        #expect(!all.matches(topic: "$SYS/broker/uptime"))
        let sub = try #require(MQTTTopicFilter("a/#"))
        #expect(sub.matches(topic: "a"))
        #expect(sub.matches(topic: "a/b/c"))
        #expect(MQTTTopicFilter("a/#/b") == nil)
        #expect(MQTTTopicFilter("a+/b") == nil)
    }

    @Test func topicFilterOverlap() throws {
        func overlaps(_ a: String, _ b: String) throws -> Bool {
            try #require(MQTTTopicFilter(a)).overlaps(try #require(MQTTTopicFilter(b)))
        }
        #expect(try overlaps("factory/#", "factory/+/raw"))
        #expect(try overlaps("a/#", "a"))
        #expect(try overlaps("+/b", "a/+"))
        #expect(try !overlaps("factory/+/telemetry", "factory/+/raw"))
        #expect(try !overlaps("a/b", "a/b/c"))
        #expect(try !overlaps("#", "$SYS/x"))
        #expect(try overlaps("$SYS/#", "$SYS/x"))
    }
}

import EdgeLedgerCore
import Testing

/// `dedup`, `dedup_window` (`[[mqtt.topics]]`) and `ingest.dedup_max_keys`.
@Suite struct DedupConfigTests {
    static func agent(_ topic: String, ingest: String = "") -> String {
        ConfigFixture.minimalAgent.replacingOccurrences(
            of: "filter = \"factory/+/telemetry\"", with: "filter = \"factory/+/telemetry\"\n\(topic)\n\(ingest)")
    }

    @Test func offByDefault() throws {
        let config = try ConfigLoader.parse(toml: ConfigFixture.minimalAgent, environment: [:])
        #expect(config.mqtt.topics[0].dedup == nil)
        #expect(config.ingest.dedupMaxKeys == 1_000_000)
    }

    @Test func readsEachKeyAndTheWindow() throws {
        let json = try ConfigLoader.parse(
            toml: Self.agent("dedup = \"json:meta.id\"\ndedup_window = \"1h\""), environment: [:])
        #expect(
            json.mqtt.topics[0].dedup
                == DedupConfiguration(key: .jsonMember(JSONMemberPath("meta.id")!), window: .seconds(3600)))
        let payload = try ConfigLoader.parse(toml: Self.agent("dedup = \"payload\""), environment: [:])
        #expect(payload.mqtt.topics[0].dedup == DedupConfiguration(key: .payload, window: .seconds(600)))
        let sparkplug = try ConfigLoader.parse(
            toml: ConfigFixture.minimalAgent.replacingOccurrences(
                of: "filter = \"factory/+/telemetry\"",
                with: "filter = \"spBv1.0/#\"\nformat = \"sparkplug_b\"\ndedup = \"sparkplug\""),
            environment: [:])
        #expect(sparkplug.mqtt.topics[0].dedup?.key == .sparkplug)
        let keys = try ConfigLoader.parse(
            toml: Self.agent("", ingest: "[ingest]\ndedup_max_keys = 5000"), environment: [:])
        #expect(keys.ingest.dedupMaxKeys == 5_000)
    }

    @Test func refusesWhatCannotWork() {
        #expect(
            ConfigFixture.agentIssues(Self.agent("dedup = \"msgid\"")).contains { $0.contains("json:<member path>") })
        #expect(ConfigFixture.agentIssues(Self.agent("dedup = \"json:a..b\"")).count == 1)
        #expect(
            ConfigFixture.agentIssues(Self.agent("dedup = \"sparkplug\"")).contains { $0.contains("sparkplug_b") })
        #expect(
            ConfigFixture.agentIssues(Self.agent("dedup = \"payload\"\ndedup_window = \"8d\"")).contains {
                $0.contains("dedup_window")
            })
        #expect(ConfigFixture.agentIssues(Self.agent("", ingest: "[ingest]\ndedup_max_keys = 10")).count == 1)
    }
}

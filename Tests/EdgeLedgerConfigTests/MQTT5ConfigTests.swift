import EdgeLedgerCore
import Foundation
import Testing

/// `[mqtt]` MQTT 5 settings: receive maximum, session expiry, shared subscriptions, device time.
@Suite struct MQTT5ConfigTests {
    private let v5 = ConfigFixture.minimalAgent.replacingOccurrences(
        of: "client_id = \"gw-12\"", with: "client_id = \"gw-12\"\nprotocol = \"5\"")

    private func mqtt(_ toml: String) throws -> MQTTConfiguration {
        try ConfigLoader.parse(toml: toml, environment: [:]).mqtt
    }

    @Test func defaultsAreBounded() throws {
        let m = try mqtt(v5)
        #expect(m.receiveMaximum == 256)
        #expect(m.sessionExpiry == .seconds(7 * 86_400))
        #expect(m.deviceTimeMaxSkew == .seconds(300))
        #expect(m.topics[0].deviceTime == nil)
    }

    @Test func sessionExpiryNeverAndReceiveMaximum() throws {
        let toml = v5.replacingOccurrences(
            of: "protocol = \"5\"",
            with: "protocol = \"5\"\nsession_expiry = \"never\"\nreceive_maximum = 1000\ndevice_time_max_skew = \"30s\""
        )
        let m = try mqtt(toml)
        #expect(m.sessionExpiry == nil)
        #expect(m.receiveMaximum == 1000)
        #expect(m.deviceTimeMaxSkew == .seconds(30))
    }

    @Test func receiveMaximumNeedsMQTT5AndARange() {
        let v311 = ConfigFixture.minimalAgent.replacingOccurrences(
            of: "client_id = \"gw-12\"", with: "client_id = \"gw-12\"\nreceive_maximum = 10")
        #expect(
            ConfigFixture.agentIssues(v311).first?.hasPrefix("mqtt.receive_maximum: only applies to protocol = \"5\"")
                == true)
        let zero = v5.replacingOccurrences(of: "protocol = \"5\"", with: "protocol = \"5\"\nreceive_maximum = 0")
        #expect(ConfigFixture.agentIssues(zero).first?.contains("mqtt.receive_maximum") == true)
        let fraction = v5.replacingOccurrences(
            of: "protocol = \"5\"", with: "protocol = \"5\"\nsession_expiry = \"1500ms\"")
        #expect(ConfigFixture.agentIssues(fraction).first?.contains("whole number of seconds") == true)
    }

    @Test func sharedSubscriptionIsAcceptedWithAWarning() throws {
        let toml = v5.replacingOccurrences(
            of: "filter = \"factory/+/telemetry\"", with: "filter = \"$share/gw/factory/+/telemetry\"")
        let m = try mqtt(toml)
        #expect(m.topics[0].filter.shareGroup == "gw")
        #expect(m.topics[0].filter.matches(topic: "factory/a/telemetry"))
        #expect(!m.topics[0].filter.matches(topic: "$share/gw/factory/a/telemetry"))
        #expect(MQTTTopicFilter("$share/gw/factory/#")!.overlaps(MQTTTopicFilter("factory/a")!))
    }

    @Test func deviceTimeNamesAJSONMember() throws {
        let toml = v5 + "\ndevice_time = \"ts\"\n"
        #expect(try mqtt(toml).topics[0].deviceTime == "ts")
        let raw = v5 + "\nformat = \"raw\"\ndevice_time = \"ts\"\n"
        #expect(
            ConfigFixture.agentIssues(raw) == [
                "mqtt.topics[0].device_time: needs format = \"json\": it names a member of the JSON payload"
            ])
    }
}

import EdgeLedgerCore
import Testing

/// Push mode (C2SP tlog-mirror): `[[upstreams]] mode = "push"` on the gateway, `[mirror]` on the
/// upstream, each validated with errors that name the key.
@Suite("Push mode configuration: [[upstreams]] mode and mirror_key, upstream [mirror]")
struct MirrorConfigTests {
    static let mirrorKey = "mirror.example/m1+a1b2c3d4+BJ3Nxyjfu1ShJLG0b8sXXt+qJkqHqIvX8J2sMvSzw/0m"

    @Test("a push upstream needs url and mirror_key, and no witness verifier_key")
    func pushUpstream() throws {
        let config = try ConfigLoader.parse(
            toml: ConfigFixture.minimalAgent + """

                [[upstreams]]
                name = "dc-1"
                mode = "push"
                url = "https://dc.example/mirror"
                mirror_key = "\(Self.mirrorKey)"
                required_for_retention = true
                """, environment: [:])
        #expect(config.upstreams.first?.mode == .push)
        #expect(config.upstreams.first?.mirrorKey == Self.mirrorKey)
        #expect(config.upstreams.first?.url == "https://dc.example/mirror")

        let missing = ConfigFixture.agentIssues(
            ConfigFixture.minimalAgent + """

                [[upstreams]]
                name = "dc-1"
                mode = "push"
                """)
        #expect(missing.contains { $0.hasPrefix("upstreams[0].url: required key is missing with mode = \"push\"") })
        #expect(missing.contains { $0.hasPrefix("upstreams[0].mirror_key: required key is missing") })
        let wrongMode = ConfigFixture.agentIssues(
            ConfigFixture.minimalAgent + """

                [[upstreams]]
                name = "dc-1"
                mode = "mirror"
                witness = false
                """)
        #expect(wrongMode.contains { $0.hasPrefix("upstreams[0].mode: expected \"pull\" or \"push\"") })
        let badKey = ConfigFixture.agentIssues(
            ConfigFixture.minimalAgent + """

                [[upstreams]]
                name = "dc-1"
                mode = "push"
                url = "https://dc.example/mirror"
                mirror_key = "not a key"
                """)
        #expect(badKey.count == 1 && badKey.first?.hasPrefix("upstreams[0].mirror_key:") == true)
    }

    @Test("the default stays pull: a witness entry is unchanged")
    func defaultIsPull() throws {
        let config = try ConfigLoader.parse(
            toml: ConfigFixture.minimalAgent + """

                [[upstreams]]
                name = "dc-2"
                witness = false
                """, environment: [:])
        #expect(config.upstreams.first?.mode == .pull)
        #expect(config.upstreams.first?.mirrorKey == nil)
    }

    @Test("[mirror] is optional; its name and key must differ from the witness's")
    func upstreamMirror() throws {
        let none = try ConfigLoader.parseUpstream(toml: ConfigFixture.minimalUpstream, environment: [:])
        #expect(none.mirror == nil)
        let with = try ConfigLoader.parseUpstream(
            toml: ConfigFixture.minimalUpstream + """

                [mirror]
                name = "mirror.example/dc-1"
                key_file = "keys/mirror.pem"
                """, environment: [:])
        #expect(with.mirror?.name == "mirror.example/dc-1")
        let same = ConfigFixture.upstreamIssues(
            ConfigFixture.minimalUpstream + """

                [mirror]
                name = "witness.example/dc-1"
                key_file = "keys/witness.pem"
                """)
        #expect(same.contains { $0.hasPrefix("mirror.name: the mirror's name must differ from witness.name") })
        #expect(same.contains { $0.hasPrefix("mirror.key_file: the mirror's key must differ") })
        let missing = ConfigFixture.upstreamIssues(ConfigFixture.minimalUpstream + "\n[mirror]\n")
        #expect(missing.contains { $0.hasPrefix("mirror.name: required key is missing") })
        #expect(missing.contains { $0.hasPrefix("mirror.key_file: required key is missing") })
    }
}

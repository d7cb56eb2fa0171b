import EdgeLedgerCore
import Testing

/// A witness's cosignatures are kept only after verification (issue 11 finding 7): a witness
/// entry without `verifier_key` is a configuration error unless `verify = false` says otherwise,
/// loudly.
@Suite("Witness verification keys in [[upstreams]]")
struct WitnessVerificationConfigTests {
    static let witnessKey = "witness.example/w1+a1b2c3d4+BJ3Nxyjfu1ShJLG0b8sXXt+qJkqHqIvX8J2sMvSzw/0m"

    @Test("a witness without verifier_key is an error that says what to do")
    func missingKeyIsAnError() {
        let issues = ConfigFixture.agentIssues(
            ConfigFixture.minimalAgent + """

                [[upstreams]]
                name = "dc-1"
                url = "https://witness.example"
                """)
        #expect(issues.count == 1)
        #expect(issues.first?.hasPrefix("upstreams[0].verifier_key: required key is missing") == true)
        #expect(issues.first?.contains("verify = false") == true)
    }

    @Test("verify = false is accepted with a warning; a collector-only entry needs no key")
    func explicitOptOutWarns() throws {
        let config = try ConfigLoader.parse(
            toml: ConfigFixture.minimalAgent + """

                [[upstreams]]
                name = "dc-1"
                url = "https://witness.example"
                verify = false

                [[upstreams]]
                name = "dc-2"
                witness = false
                """, environment: [:])
        #expect(config.upstreams.map(\.verify) == [false, true])
        #expect(config.warnings.contains { $0.description.hasPrefix("upstreams[0].verify: false") })
        #expect(!config.warnings.contains { $0.description.hasPrefix("upstreams[1]") })
    }

    @Test("with verifier_key the entry is valid and verifies")
    func keyGiven() throws {
        let config = try ConfigLoader.parse(
            toml: ConfigFixture.minimalAgent + """

                [[upstreams]]
                name = "dc-1"
                url = "https://witness.example"
                verifier_key = "\(Self.witnessKey)"
                """, environment: [:])
        #expect(config.upstreams.first?.verify == true)
        #expect(config.upstreams.first?.verifierKey == Self.witnessKey)
    }

    @Test("witness_clients: warnings for an unknown token name, and for none while anonymous pushes are off")
    func witnessClientsWarnings() throws {
        let config = try ConfigLoader.parseUpstream(
            toml: ConfigFixture.minimalUpstream + """

                witness_clients = ["gw-12", "gw-13", "CN=gw-12,O=Example"]
                max_growth = 4096

                [[gateways]]
                origin = "factory.example/plant-7/gw-13"
                url = "http://127.0.0.1:8081/"
                verifier_keys = ["factory.example/plant-7/gw-13+a1b2c3d4+AZ3Nxyjfu1ShJLG0b8sXXt+qJkqHqIvX8J2sMvSzw/0m"]

                [http]
                allow_anonymous = false

                [[http.tokens]]
                name = "gw-12"
                token_sha256 = "\(String(repeating: "ab", count: 32))"
                """, environment: [:])
        #expect(config.gateways[0].witnessClients == ["gw-12", "gw-13", "CN=gw-12,O=Example"])
        #expect(config.gateways[0].maxGrowth == 4096)
        #expect(config.gateways[1].maxGrowth == GatewayConfiguration.defaultMaxGrowth)
        let warnings = config.warnings.map(\.description)
        #expect(warnings.contains { $0.hasPrefix("gateways[0].witness_clients[1]: no [[http.tokens]] entry") })
        #expect(warnings.contains { $0.hasPrefix("gateways[1].witness_clients: empty while http.allow_anonymous") })
        #expect(warnings.count == 2, "\(warnings)")
    }
}

import EdgeLedgerConfig
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
}

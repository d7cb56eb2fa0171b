import EdgeLedgerCore
import Testing

/// `storage.integrity_check_interval`: the background store check (issue 11, finding 6).
@Suite struct IntegrityCheckConfigTests {
    static func storage(_ line: String) -> String {
        ConfigFixture.minimalAgent + "\n[storage]\n\(line)\n"
    }

    @Test func defaultsToSixHoursAndCanBeSetOrTurnedOff() throws {
        let defaults = try ConfigLoader.parse(toml: ConfigFixture.minimalAgent, environment: [:])
        #expect(defaults.storage.integrityCheckInterval == .seconds(6 * 3600))
        let set = try ConfigLoader.parse(toml: Self.storage("integrity_check_interval = \"15m\""), environment: [:])
        #expect(set.storage.integrityCheckInterval == .seconds(900))
        let off = try ConfigLoader.parse(toml: Self.storage("integrity_check_interval = \"off\""), environment: [:])
        #expect(off.storage.integrityCheckInterval == nil)
    }

    @Test func outOfRangeOrMalformedValuesAreErrors() {
        for value in ["\"0s\"", "\"60d\"", "\"never\"", "6"] {
            let issues = ConfigFixture.agentIssues(Self.storage("integrity_check_interval = \(value)"))
            #expect(issues.contains { $0.contains("storage.integrity_check_interval") }, "\(value): \(issues)")
        }
    }
}

import EdgeLedgerCore
import Testing

/// The keys of the upstream's read side (issue 14): `http.monitoring_prefix`,
/// `http.allow_anonymous_read` and `storage.tiles_dir`, their defaults and their checks.
@Suite("Monitoring prefix and tiles directory in upstream.toml")
struct MonitoringConfigTests {
    @Test("defaults: <prefix>/logs, reads need a credential, tiles/ beside the SQLite file")
    func defaults() throws {
        let config = try ConfigLoader.parseUpstream(toml: ConfigFixture.minimalUpstream)
        #expect(config.http.logsPrefix == "/logs")
        #expect(config.http.allowAnonymousRead == false)
        #expect(config.storage.tilesDirectory == "/var/lib/edge-ledger/tiles")
        let prefixed = try ConfigLoader.parseUpstream(
            toml: ConfigFixture.minimalUpstream + "\n[http]\nprefix = \"/dc\"\n[storage]\npath = \"/srv/up/u.db\"\n")
        #expect(prefixed.http.logsPrefix == "/dc/logs")
        #expect(prefixed.storage.tilesDirectory == "/srv/up/tiles")
        let postgres = try ConfigLoader.parseUpstream(
            toml: ConfigFixture.minimalUpstream + "\n[storage]\nurl = \"postgres://u@db:5432/up\"\n")
        #expect(postgres.storage.tilesDirectory == "/var/lib/edge-ledger/upstream-tiles")
    }

    @Test("explicit keys; relative tiles_dir resolves against the configuration file's directory")
    func explicitKeys() throws {
        let config = try ConfigLoader.parseUpstream(
            toml: ConfigFixture.minimalUpstream + """

                [http]
                monitoring_prefix = "/mirror/m1"
                allow_anonymous_read = true
                [storage]
                tiles_dir = "cache/tiles"
                """, baseDirectory: "/etc/edge-ledger")
        #expect(config.http.logsPrefix == "/mirror/m1")
        #expect(config.http.allowAnonymousRead)
        #expect(config.storage.tilesDirectory == "/etc/edge-ledger/cache/tiles")
    }

    @Test("a malformed monitoring_prefix names the key")
    func malformedPrefix() {
        for bad in ["logs", "/logs/", "", "/lo gs"] {
            let issues = ConfigFixture.upstreamIssues(
                ConfigFixture.minimalUpstream + "\n[http]\nmonitoring_prefix = \"\(bad)\"\n")
            #expect(issues.count == 1, "\(bad): \(issues)")
            #expect(issues.first?.contains("http.monitoring_prefix") == true, "\(bad): \(issues)")
        }
    }
}

import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

/// `edge-ledger status` shows store damage (issue 11, findings 5 and 6): it recomputes the
/// latest signed root from the stored tiles itself, so the damage shows with or without an agent.
@Suite("CLI status: store integrity")
struct StatusIntegrityTests {
    @Test("status shows integrity ok, then DAMAGED with the tile, in the attention list and the JSON")
    func statusShowsStoreDamage() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        let store = try StatusCommandTests.makeStore(at: db, now: StatusCommandTests.now())
        let clean = try StatusCommandTests.status(["--db", db])
        #expect(clean.code == 0, "\(clean.stderr)")
        #expect(
            clean.lines.contains {
                $0.hasPrefix("integrity:") && $0.contains("ok (tiles reproduce the signed root at size 10")
            }, "\(clean.stdout)")

        // Tile 0/0 (width 10) holds the 10 sealed leaf hashes: hash 4 is entry 4's.
        try RawSQL.flipBlobByte(db, table: "tiles", column: "hashes", where: "level = 0 AND idx = 0", offset: 4 * 32)
        let damaged = try StatusCommandTests.status(["--db", db])
        #expect(damaged.code == 0, "\(damaged.stderr)")
        #expect(
            damaged.lines.contains { $0.hasPrefix("integrity:") && $0.contains("DAMAGED: tile 0/0: hash 4 is") },
            "\(damaged.stdout)")
        #expect(damaged.lines.contains { $0.contains("the store is damaged at tile 0/0") }, "\(damaged.stdout)")
        let o = try StatusCommandTests.json(try StatusCommandTests.status(["--db", db, "--json"]))
        let integrity = try #require(o["integrity"] as? [String: Any])
        #expect(integrity["ok"] as? Bool == false)
        #expect((integrity["damage"] as? String)?.contains("entry 4's bytes") == true)
        _ = store
    }
}

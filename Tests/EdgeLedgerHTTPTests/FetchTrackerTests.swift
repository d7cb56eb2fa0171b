import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP

/// `FetchTracker`: the contiguous fetched size follows bundles served in any order, never
/// covering an entry that was not served; it is persisted in steps and on demand.
@Suite struct FetchTrackerTests {
    @Test("bundles served out of order advance the mark once the gap is filled")
    func outOfOrder() {
        let t = FetchTracker()
        #expect(!t.isLoaded("dc-1"))
        t.load(upstream: "dc-1", below: 0)
        t.load(upstream: "dc-1", below: 999)  // already known: ignored
        _ = t.served(upstream: "dc-1", 512..<768)
        _ = t.served(upstream: "dc-1", 1024..<1100)
        _ = t.served(upstream: "dc-1", 256..<512)
        #expect(t.mark("dc-1") == 0)
        _ = t.served(upstream: "dc-1", 0..<256)
        #expect(t.mark("dc-1") == 768, "0..<768 is contiguous; 1024... is not")
        _ = t.served(upstream: "dc-1", 768..<1024)
        #expect(t.mark("dc-1") == 1100)
        #expect(t.served(upstream: "other", 0..<256) == nil, "not loaded: not recorded")
        #expect(t.mark("other") == nil)
    }

    @Test("a bundle that starts below the mark (a partial bundle grown full) extends it")
    func overlapping() {
        let t = FetchTracker()
        t.load(upstream: "dc-1", below: 300)
        _ = t.served(upstream: "dc-1", 256..<512)
        _ = t.served(upstream: "dc-1", 0..<256)
        #expect(t.mark("dc-1") == 512)
    }

    @Test("the mark is handed out for persisting every 64 bundles, and on demand")
    func persistence() {
        let t = FetchTracker()
        t.load(upstream: "dc-1", below: 0)
        #expect(t.unpersisted("dc-1") == nil)
        var persisted: [UInt64] = []
        for bundle in UInt64(0)..<130 {
            if let mark = t.served(upstream: "dc-1", bundle * 256..<(bundle + 1) * 256) { persisted.append(mark) }
        }
        #expect(persisted == [64 * 256, 128 * 256])
        #expect(t.unpersisted("dc-1") == 130 * 256)
        #expect(t.unpersisted("dc-1") == nil)
    }
}

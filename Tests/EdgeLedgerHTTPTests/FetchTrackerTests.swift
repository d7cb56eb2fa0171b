import Testing

@testable import EdgeLedgerHTTP

/// `FetchTracker`: the contiguous fetched size follows bundles served in any order, never
/// covering an entry that was not served.
@Suite struct FetchTrackerTests {
    @Test("bundles served out of order advance the mark once the gap is filled")
    func outOfOrder() {
        let t = FetchTracker()
        #expect(!t.isLoaded("dc-1"))
        t.load(upstream: "dc-1", below: 0)
        t.load(upstream: "dc-1", below: 999)  // already known: ignored
        #expect(t.served(upstream: "dc-1", 512..<768) == nil)
        #expect(t.served(upstream: "dc-1", 1024..<1100) == nil)
        #expect(t.served(upstream: "dc-1", 256..<512) == nil)
        #expect(t.served(upstream: "dc-1", 0..<256) == 768, "0..<768 is contiguous; 1024... is not")
        #expect(t.served(upstream: "dc-1", 0..<256) == nil, "nothing new")
        #expect(t.served(upstream: "dc-1", 768..<1024) == 1100)
        #expect(t.served(upstream: "other", 0..<256) == nil, "not loaded: not recorded")
    }

    @Test("a bundle that starts below the mark (a partial bundle grown full) extends it")
    func overlapping() {
        let t = FetchTracker()
        t.load(upstream: "dc-1", below: 300)
        #expect(t.served(upstream: "dc-1", 256..<512) == 512)
        #expect(t.served(upstream: "dc-1", 0..<256) == nil)
    }
}

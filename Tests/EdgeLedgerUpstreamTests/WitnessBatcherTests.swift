import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@testable import EdgeLedgerUpstream

/// The witness's group commit: concurrent updates share transactions, each gets its own answer,
/// and a failing group falls back to one transaction per update.
@Suite("Witness group commit")
struct WitnessBatcherTests {
    static func update(
        _ origin: String, _ size: UInt64, refuse: Bool = false, onlyGrowth: Bool = true
    ) -> WitnessUpdate {
        WitnessUpdate(
            WitnessLogState(origin: origin, size: size, root: Hash32.zero, note: "n\(size)", updatedAt: Int64(size)),
            hasher: OpenSSLHasher.sha256, boundFirstByCollection: false
        ) { current in
            if refuse { throw WitnessRejection.malformed("refused by the test") }
            if onlyGrowth, let current, current.size > size { throw WitnessRejection.conflict(current.size, "older") }
        }
    }

    @Test(
        "concurrent updates of many origins share transactions, and each gets its own result",
        arguments: UpstreamEngine.allCases)
    func grouping(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        let batcher = WitnessBatcher(store: store, maxGroup: 16)
        let origins = (0..<40).map { "plant.example/gw-\($0)" }
        // Three updates per origin, in random order; every tenth origin's middle update is refused.
        var work: [(origin: Int, size: UInt64)] = []
        for o in origins.indices { for size: UInt64 in [1, 2, 3] { work.append((o, size)) } }
        work.shuffle()
        let outcomes = await withTaskGroup(of: (Int, UInt64, Result<WitnessAddition, any Error>).self) { group in
            for (o, size) in work {
                group.addTask {
                    let refuse = o % 10 == 0 && size == 2
                    do {
                        return (o, size, .success(try await batcher.add(Self.update(origins[o], size, refuse: refuse))))
                    } catch {
                        return (o, size, .failure(error))
                    }
                }
            }
            var all: [(Int, UInt64, Result<WitnessAddition, any Error>)] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.count == work.count)
        for (o, size, result) in outcomes where o % 10 == 0 && size == 2 {
            guard case .failure(let error) = result, case .malformed = error as? WitnessRejection else {
                Issue.record("origin \(o) size 2 should have been refused by its own check, got \(result)")
                continue
            }
        }
        // Every origin ends at size 3 whatever the order: the compare-and-set keeps the largest.
        for origin in origins { #expect(try await store.witnessState(origin: origin)?.size == 3) }
        let transactions = batcher.transactions.load(ordering: .relaxed)
        #expect(transactions < work.count, "\(transactions) transactions for \(work.count) concurrent updates")
        await store.close()
    }

    @Test("a group that fails in the store is retried one update per transaction", arguments: UpstreamEngine.allCases)
    func fallback(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        let batcher = WitnessBatcher(store: store)
        // The third update lets a smaller size through its own check; the store's compare-and-set
        // refuses it with a StoreError, which rolls the whole group back.
        let updates = [
            Self.update("a.example/gw", 10), Self.update("b.example/gw", 5),
            Self.update("a.example/gw", 3, onlyGrowth: false),
        ]
        await #expect(throws: StoreError.self) { try await store.addWitnessCheckpoints(updates) }
        #expect(try await store.witnessState(origin: "a.example/gw") == nil)
        let results = await batcher.decide(updates)
        guard case .success(.recorded) = results[0], case .success(.recorded) = results[1],
            case .failure(let error) = results[2], error is StoreError
        else {
            Issue.record("expected recorded, recorded, a store conflict: \(results)")
            return
        }
        #expect(try await store.witnessState(origin: "a.example/gw")?.size == 10)
        #expect(try await store.witnessState(origin: "b.example/gw")?.size == 5)
        #expect(batcher.transactions.load(ordering: .relaxed) == 4)
        await store.close()
    }
}

import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@testable import EdgeLedgerUpstream

#if canImport(Glibc)
    import Glibc
#endif

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

    @Test(
        "a request cancelled while it waits, then leads, does not fail the others of its group",
        arguments: UpstreamEngine.allCases)
    func cancelledLeader(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        let batcher = WitnessBatcher(store: store, maxGroup: 8)
        // The first request's check holds its transaction for a while, so the others queue in
        // order behind it; the oldest of them, which gets the lead next, is cancelled (its client
        // went away) before it leads its group of 8.
        var slow = Self.update("plant.example/slow", 1)
        let check = slow.decide
        slow.decide = { current in
            usleep(300_000)
            try check(current)
        }
        let first = Task { [slow] in try await batcher.add(slow) }
        try await Task.sleep(for: .milliseconds(50))
        var queued: [Task<WitnessAddition, any Error>] = []
        for n in 0..<12 {
            queued.append(Task { try await batcher.add(Self.update("plant.example/gw-\(n)", 1)) })
            if n == 0 { queued[0].cancel() }
            try await Task.sleep(for: .milliseconds(5))
        }
        guard case .recorded = try await first.value else {
            Issue.record("the first request should have been recorded")
            return
        }
        for (n, task) in queued.enumerated() where n > 0 {
            let result = await task.result
            guard case .success(.recorded) = result else {
                Issue.record("request \(n), not cancelled, should have been recorded: \(result)")
                continue
            }
            #expect(try await store.witnessState(origin: "plant.example/gw-\(n)")?.size == 1)
        }
        _ = await queued[0].result
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

    @Test(
        "a group of distinct origins is decided on views read together; each update gets its own outcome",
        arguments: UpstreamEngine.allCases)
    func distinctOrigins(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        let origins = (0..<12).map { "plant.example/gw-\($0)" }
        // Every third origin already holds size 50; the others nothing.
        for (n, origin) in origins.enumerated() where n % 3 == 0 {
            _ = try await store.addWitnessCheckpoint(Self.update(origin, 50))
        }
        // Size 20 for every origin (refused where 50 is held), except one refused by its own check.
        let updates = origins.enumerated().map { n, origin in Self.update(origin, 20, refuse: n == 4) }
        let results = try await store.addWitnessCheckpoints(updates)
        #expect(results.count == updates.count)
        for (n, result) in results.enumerated() {
            switch (n % 3 == 0, n == 4, result) {
            case (true, _, .failure(let error)):
                guard case .conflict = error as? WitnessRejection else {
                    Issue.record("origin \(n) holds 50: expected the check's conflict, got \(error)")
                    continue
                }
            case (false, true, .failure(let error)):
                guard case .malformed = error as? WitnessRejection else {
                    Issue.record("origin \(n): expected its own refusal, got \(error)")
                    continue
                }
            case (false, false, .success(.recorded(let state))):
                #expect(state.size == 20)
            default:
                Issue.record("origin \(n): unexpected \(result)")
            }
        }
        for (n, origin) in origins.enumerated() {
            let expected: UInt64? = n % 3 == 0 ? 50 : n == 4 ? nil : 20
            #expect(try await store.witnessState(origin: origin)?.size == expected, "origin \(n)")
            let cosigned = try await store.witnessCheckpoints(origin: origin).map(\.size)
            #expect(cosigned == (expected.map { [$0] } ?? []), "origin \(n)")
        }
        await store.close()
    }

    @Test(
        "in a group of distinct origins, a state that moved past its update rolls the group back",
        arguments: UpstreamEngine.allCases)
    func distinctOriginsConflict(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        _ = try await store.addWitnessCheckpoint(Self.update("a.example/gw", 10))
        // Its own check lets the smaller size through; the compare-and-set must not.
        let updates = [
            Self.update("b.example/gw", 5), Self.update("a.example/gw", 3, onlyGrowth: false),
            Self.update("c.example/gw", 7),
        ]
        await #expect(throws: StoreError.self) { try await store.addWitnessCheckpoints(updates) }
        #expect(try await store.witnessState(origin: "a.example/gw")?.size == 10)
        #expect(try await store.witnessState(origin: "b.example/gw") == nil)
        #expect(try await store.witnessState(origin: "c.example/gw") == nil)
        #expect(try await store.witnessCheckpoints(origin: "a.example/gw").map(\.size) == [10])
        await store.close()
    }
}

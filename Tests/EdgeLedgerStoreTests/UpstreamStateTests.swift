import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

/// `LedgerStore.updateUpstream(named:_:)` and `recordAcknowledgement(upstream:size:root:at:)`:
/// the read-modify-write of an upstream's row is atomic, so the HTTP API's acknowledgements and
/// the witness pusher's results never overwrite each other's fields.
@Suite struct UpstreamStateTests {
    @Test func concurrentAcknowledgementsAndPushResultsKeepEachOthersFields() async throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let rounds = 1_000
        try store.append(batch: (0..<rounds).map { reading($0) })
        _ = try #require(try store.seal(sign: try TestLog().sign))
        let roots = try (1...rounds).map { try store.reader.rootHash(size: UInt64($0)) }

        // Both writers run at once on the same row, each changing only its own fields; the
        // pusher's side counts its updates, so any update lost to a stale write shows.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for size in 1...rounds {
                    try store.recordAcknowledgement(upstream: "dc-1", size: UInt64(size), root: roots[size - 1], at: 7)
                }
            }
            group.addTask {
                for attempt in 1...rounds {
                    try store.updateUpstream(named: "dc-1") { state in
                        state.consecutiveFailures += 1
                        state.lastPushResult = "push \(attempt)"
                    }
                }
            }
            try await group.waitForAll()
        }

        let state = try #require(try store.upstream(named: "dc-1"))
        #expect(state.ackedSize == UInt64(rounds) && state.ackedRoot == roots.last && state.ackedAt == 7)
        #expect(state.consecutiveFailures == rounds, "no push update was lost")
        #expect(state.lastPushResult == "push \(rounds)")
    }

    @Test func anUpdateThatChangesNothingWritesNothing() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let untouched = try store.updateUpstream(named: "dc-1") { _ in }
        #expect(untouched == UpstreamState(name: "dc-1"))
        #expect(try store.upstream(named: "dc-1") == nil)

        let renamed = try store.updateUpstream(named: "dc-2") { state in
            state.name = "someone-else"
            state.nextAttemptAt = 42
        }
        #expect(renamed.name == "dc-2", "the row's name is the one asked for")
        #expect(try store.upstream(named: "dc-2")?.nextAttemptAt == 42)
        #expect(try store.upstream(named: "someone-else") == nil)
    }

    @Test func acknowledgementsNeverMoveBackwardsAndMustMatchTheLog() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        try store.append(batch: (0..<20).map { reading($0) })
        _ = try #require(try store.seal(sign: try TestLog().sign))
        let root10 = try store.reader.rootHash(size: 10)
        let root20 = try store.reader.rootHash(size: 20)
        try store.updateUpstream(named: "dc-1") { $0.consecutiveFailures = 3 }

        let acked = try store.recordAcknowledgement(upstream: "dc-1", size: 20, root: root20, at: 5)
        #expect(acked.ackedSize == 20 && acked.ackedRoot == root20 && acked.ackedAt == 5)
        #expect(acked.consecutiveFailures == 3, "the push fields are kept")
        let backwards = try store.recordAcknowledgement(upstream: "dc-1", size: 10, root: root10, at: 6)
        #expect(backwards.ackedSize == 20 && backwards.ackedAt == 5)
        #expect(
            storeError { try store.recordAcknowledgement(upstream: "dc-1", size: 20, root: root10) }?.kind == .conflict)
        #expect(
            storeError { try store.recordAcknowledgement(upstream: "dc-1", size: 21, root: root20) }?.kind
                == .outOfRange)
        #expect(try store.upstream(named: "dc-1") == acked)
    }
}

import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Synchronization
import Testing

@testable import EdgeLedgerUpstream

/// The fleet's rules, held by the database on both engines: enrollment, leases with fencing,
/// anchoring claims, and the witness's compare-and-set under concurrency.
@Suite("Fleet store: enrollment, leases, fencing, claims")
struct FleetStoreTests {
    static func gateway(_ origin: String) throws -> GatewayConfiguration {
        let key = try PrivateKey.generate(.ed25519)
        return GatewayConfiguration(
            origin: origin, url: "http://127.0.0.1:9",
            verifierKeys: [NoteKeys.verifierKey(for: key, name: origin).string])
    }

    @Test(
        "enrolling twice is a clear error; update, disable, enable and key rotation change the revision",
        arguments: UpstreamEngine.allCases)
    func enrollment(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        let g = try Self.gateway("plant-1.example/gw-1")
        let (first, changed) = try await store.enroll(g)
        #expect(changed && first.enabled && first.mode == .pull && first.configuration == g)
        do {
            try await store.enroll(g)
            Issue.record("a second enrollment of the same origin was accepted")
        } catch {
            #expect(error.kind == .conflict)
            #expect(error.message.contains("already enrolled"), "\(error)")
        }
        let before = try await store.registryFingerprint()
        #expect(try await store.enroll(g, update: true).changed == false, "same settings: nothing to change")
        #expect(try await store.registryFingerprint() == before)
        try await store.setEnabled(origin: g.origin, false)
        #expect(try await store.registeredGateway(origin: g.origin)?.enabled == false)
        #expect(try await store.registryFingerprint() != before)
        try await store.setEnabled(origin: g.origin, true)
        let other = try Self.gateway(g.origin).verifierKeys[0]
        let rotated = try await store.rotateKeys(origin: g.origin, add: [other], remove: g.verifierKeys)
        #expect(rotated.configuration.verifierKeys == [other])
        await #expect(throws: (any Error).self, "no key left") {
            _ = try await store.rotateKeys(origin: g.origin, add: [], remove: [other])
        }
        await #expect(throws: StoreError.self) { try await store.setEnabled(origin: "nobody.example", false) }
        #expect(try await store.registeredGateways().map(\.origin) == [g.origin])
        await store.close()
    }

    @Test(
        "leases: a fair share per live instance, renewals keep them, surplus is handed over",
        arguments: UpstreamEngine.allCases)
    func fairShare(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        for i in 0..<6 { try await store.enroll(try Self.gateway("plant.example/gw-\(i)")) }
        let a = try await store.renewLeases(holder: "a", duration: .seconds(30))
        #expect(a.count == 6, "alone, an instance collects every gateway")
        let b = try await store.renewLeases(holder: "b", duration: .seconds(30))
        #expect(b.isEmpty, "every lease is held and valid")
        let a2 = try await store.renewLeases(holder: "a", duration: .seconds(30))
        #expect(a2.count == 3, "with two live instances, a keeps its share and releases the rest")
        #expect(Set(a2.keys).isSubset(of: Set(a.keys)))
        for (id, lease) in a2 { #expect(lease.token == a[id]?.token, "a renewal keeps the fencing token") }
        let b2 = try await store.renewLeases(holder: "b", duration: .seconds(30))
        #expect(b2.count == 3 && Set(b2.keys).isDisjoint(with: Set(a2.keys)))
        try await store.releaseLeases(holder: "a")
        let b3 = try await store.renewLeases(holder: "b", duration: .seconds(30))
        #expect(b3.count == 6, "a stopped cleanly: b takes everything at once")
        await store.close()
    }

    @Test(
        "a stale lease holder's writes are refused by the database; the new holder's go through",
        arguments: UpstreamEngine.allCases)
    func fencing(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        let g = try Self.gateway("plant.example/gw-fenced")
        let id = try await store.enroll(g).gateway.id
        let a = try #require(try await store.renewLeases(holder: "a", duration: .seconds(2))[id])
        try await Task.sleep(for: .milliseconds(2300))
        // a paused past its lease; b takes the gateway over with a newer fencing token.
        let b = try #require(try await store.renewLeases(holder: "b", duration: .seconds(30))[id])
        #expect(b.token > a.token)
        let (batch, leaves, _) = CollectorStoreTests.entries(0..<10)
        do {
            try await store.stage(
                gateway: id, stagedSize: 0, entries: batch, leafHashes: leaves, hasher: OpenSSLHasher.sha256, lease: a)
            Issue.record("the stale holder's write was accepted")
        } catch let error as StoreError {
            #expect(error.kind == .leaseLost, "\(error)")
        }
        #expect(try await store.entryCount(gateway: id) == 0, "nothing of the stale write was stored")
        #expect(try await store.renewLeases(holder: "a", duration: .seconds(30))[id] == nil, "a learns it lost it")
        try await store.stage(
            gateway: id, stagedSize: 0, entries: batch, leafHashes: leaves, hasher: OpenSSLHasher.sha256, lease: b)
        #expect(try await store.entryCount(gateway: id) == 10)
        await #expect(throws: StoreError.self) { try await store.discardStaged(gateway: id, lease: a) }
        #expect(try await store.gatewayState(origin: g.origin)?.stagedSize == 10)
        await store.close()
    }

    @Test("a disabled gateway's lease is released and never renewed", arguments: UpstreamEngine.allCases)
    func disabledStops(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        let g = try Self.gateway("plant.example/gw-off")
        let id = try await store.enroll(g).gateway.id
        #expect(try await store.renewLeases(holder: "a", duration: .seconds(30))[id] != nil)
        try await store.setEnabled(origin: g.origin, false)
        #expect(try await store.renewLeases(holder: "a", duration: .seconds(30)).isEmpty)
        #expect(try await store.gatewayState(origin: g.origin)?.lease?.holder == nil)
        await store.close()
    }

    @Test("concurrent witness updates of one origin never roll its state back", arguments: UpstreamEngine.allCases)
    func witnessCompareAndSet(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        let origin = "plant.example/gw-cas"
        let sizes: [UInt64] = Array(1...40).shuffled()
        let order = try await withThrowingTaskGroup(of: UInt64?.self) { group in
            for size in sizes {
                group.addTask {
                    let next = WitnessLogState(
                        origin: origin, size: size, root: Hash32.zero, note: "n\(size)", updatedAt: Int64(size))
                    // The decision a witness makes: only growth is accepted.
                    let addition = try? await store.addWitnessCheckpoint(
                        next, hasher: OpenSSLHasher.sha256, boundFirstByCollection: false
                    ) { current in
                        if let current, current.size > size { throw StoreError(.conflict, "older") }
                    }
                    if case .recorded = addition { return size }
                    return nil
                }
            }
            var recorded: [UInt64] = []
            for try await size in group { if let size { recorded.append(size) } }
            return recorded
        }
        #expect(try await store.witnessState(origin: origin)?.size == 40)
        // Every recorded state was larger than or equal to every one recorded before it.
        #expect(order.count >= 1)
        let cosigned = try await store.witnessCheckpoints(origin: origin).map(\.size)
        #expect(cosigned == cosigned.sorted() && Set(cosigned) == Set(order))
        await store.close()
    }

    @Test(
        "an anchoring job is claimed by one instance at a time; an expired claim is taken over",
        arguments: UpstreamEngine.allCases)
    func anchoringClaims(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        let id = try await store.registerGateway(origin: "plant.example/gw-anchor", hash: .sha256).id
        let (batch, leaves, _) = CollectorStoreTests.entries(0..<20)
        let root = Merkle.rootHash(leaves, hasher: OpenSSLHasher.sha256)
        try await store.stage(
            gateway: id, stagedSize: 0, entries: batch, leafHashes: leaves, hasher: OpenSSLHasher.sha256,
            complete: CollectedCheckpoint(
                origin: "plant.example/gw-anchor", size: 20, root: root, note: "n", verifiedAt: 1),
            anchorDocument: "{}")
        let now = SystemClock.nowNanoseconds()
        let a = try await store.dueAnchorJobs(now: now, holder: "a", claim: .seconds(60))
        #expect(a.count == 1 && a.first?.root == root && a.first?.anchorID == "plant.example/gw-anchor#20")
        #expect(try await store.dueAnchorJobs(now: now, holder: "b", claim: .seconds(60)).isEmpty, "claimed by a")
        let later = now + Duration.seconds(61).nanosecondsClamped
        #expect(
            try await store.dueAnchorJobs(now: later, holder: "b", claim: .seconds(60)).count == 1, "a's claim expired")
        try await store.completeAnchorJob(id: try #require(a.first).id, at: later)
        #expect(try await store.dueAnchorJobs(now: later + 1, holder: "a").isEmpty)
        #expect(try await store.pendingAnchorJobs() == 0)
        await store.close()
    }
}

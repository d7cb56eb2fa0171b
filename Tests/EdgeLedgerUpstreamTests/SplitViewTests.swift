import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

/// One view per origin (issue 11 finding 3): a gateway that pushes one history to the witness and
/// serves another to the collector of the same upstream is caught, whichever side sees it first.
@Suite("Split view: the witness and the collector hold one view per origin")
struct SplitViewTests {
    /// Two gateway stores with one key and one origin but different entries: history A is pushed
    /// to the witness, history B is served to the collector.
    struct Equivocator {
        let a: GatewayFixture
        let b: GatewayFixture

        init(dir: TemporaryFolder, size: Int) throws {
            let key = try PrivateKey.generate(.ed25519)
            a = try GatewayFixture(dir: dir, file: "history-a.db", key: key)
            b = try GatewayFixture(dir: dir, file: "history-b.db", key: key)
            try a.append(size, payloadSize: 48)
            try a.seal()
            try b.append(size, payloadSize: 56)
            try b.seal()
        }
    }

    /// A witness on the upstream's own store, as `edge-ledger-upstream` makes it.
    static func witness(
        _ gateway: GatewayFixture, store: CollectorStore, boundFirstByCollection: Bool = true
    ) async throws -> Witness {
        let cosigner = try CosignatureV1Signer(name: "witness.example/w1", privateKey: PrivateKey.generate(.ed25519))
        let log = WitnessedLog(
            origin: gateway.origin, verifiers: [try NoteKeys.verifier(from: gateway.verifierKey)],
            hasher: OpenSSLHasher.sha256)
        return Witness(cosigner: cosigner, logs: [log], store: store, boundFirstByCollection: boundFirstByCollection)
    }

    static func push(
        _ witness: Witness, _ note: String, oldSize: UInt64 = 0, proof: [Hash32] = []
    ) async -> WitnessResponse {
        await witness.addCheckpoint(body: Array(WitnessRequest.body(oldSize: oldSize, proof: proof, note: note).utf8))
    }

    static func collector(_ gateway: GatewayFixture, port: Int, store: CollectorStore) async throws -> GatewayCollector
    {
        try GatewayCollector(
            gateway: gateway.gatewayConfiguration(url: "http://127.0.0.1:\(port)"), store: store, anchoring: true,
            parallelFetches: 4, logger: testLogger("test.collector", level: .critical))
    }

    @Test(
        "the witness cosigned A, the collector verifies B of the same size: fork evidence, no anchoring",
        arguments: UpstreamEngine.allCases)
    func collectorSeesTheFork(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gw = try Equivocator(dir: dir, size: 300)
        let noteA = try #require(try gw.a.store.latestCheckpoint()).note
        let noteB = try #require(try gw.b.store.latestCheckpoint()).note
        #expect(noteA != noteB)
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        // A witness without the first-checkpoint bound, so that it cosigns A before collection.
        let witness = try await Self.witness(gw.a, store: store, boundFirstByCollection: false)
        await #expect(Self.push(witness, noteA).outcome == .cosigned)
        let server = try TestTileServer(gateway: gw.b)
        try await withServer(server.router) { port in
            let collector = try await Self.collector(gw.b, port: port, store: store)
            let report = await collector.pullOnce()
            // Stays refused, without more evidence.
            let again = await collector.pullOnce()
            await collector.shutdown()
            #expect(report.outcome.refusal?.contains("fork alarm") == true, "\(report.outcome)")
            #expect(again.outcome.refusal?.contains("fork alarm") == true, "\(again.outcome)")
        }
        let evidence = try await store.forkEvidence(origin: gw.a.origin)
        try #require(evidence.count == 1)
        #expect(evidence[0].detectedBy == .collector)
        #expect(evidence[0].witnessNote == noteA)
        #expect(evidence[0].collectedNote == noteB)
        #expect(evidence[0].witnessSize == 300 && evidence[0].collectedSize == 300)
        #expect(evidence[0].witnessRoot != evidence[0].collectedRoot)
        // Nothing of the forked origin is anchored, and the witness cosigns nothing more of it.
        #expect(try await store.anchorJobs().isEmpty)
        #expect(try await store.dueAnchorJobs(now: .max).isEmpty)
        try gw.a.grow(10)
        let next = try #require(try gw.a.store.latestCheckpoint())
        let proof = try gw.a.store.consistencyProof(from: 300, to: next.size)
        let refused = await Self.push(witness, next.note, oldSize: 300, proof: proof)
        #expect(refused.outcome == .forked && refused.status == 422)
        // The evidence is on disk: readable without the writer lock (what --print-forks does).
        if engine == .sqlite {
            // Readable while the upstream holds the file (`--print-forks`).
            #expect(
                try CollectorStore.forkEvidence(readingStoreAt: dir.file("upstream.db")).map(\.id) == [evidence[0].id])
        }
    }

    @Test(
        "the collector verified B, then A of the same size is pushed: the witness refuses it and anchoring stops",
        arguments: UpstreamEngine.allCases)
    func witnessSeesTheFork(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gw = try Equivocator(dir: dir, size: 300)
        let noteA = try #require(try gw.a.store.latestCheckpoint()).note
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let witness = try await Self.witness(gw.a, store: store)
        let server = try TestTileServer(gateway: gw.b)
        try await withServer(server.router) { port in
            let collector = try await Self.collector(gw.b, port: port, store: store)
            #expect(await collector.pullOnce().outcome == .verified)
            // The job for B is queued, not yet run.
            #expect(try await store.dueAnchorJobs(now: .max).count == 1)

            let answer = await Self.push(witness, noteA)
            #expect(answer.outcome == .forked)
            #expect(answer.status == 422)
            #expect(answer.forkDetected)
            #expect(try await store.witnessState(origin: gw.a.origin) == nil)

            let after = await collector.pullOnce()
            await collector.shutdown()
            #expect(after.outcome.refusal?.contains("fork alarm") == true, "\(after.outcome)")
        }
        let evidence = try #require(try await store.forkEvidence(origin: gw.a.origin).first)
        #expect(evidence.detectedBy == .witness)
        #expect(evidence.witnessNote == noteA)
        #expect(evidence.collectedNote == (try gw.b.store.latestCheckpoint())?.note)
        // The queued job waits: a forked origin is not anchored.
        #expect(try await store.anchorJobs().count == 1)
        #expect(try await store.dueAnchorJobs(now: .max).isEmpty)
        #expect(try await store.nextAnchorAttempt() == nil)
    }

    @Test(
        "a smaller cosigned checkpoint is checked against the collected tree at its size",
        arguments: UpstreamEngine.allCases)
    func smallerCosignedSize(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gw = try Equivocator(dir: dir, size: 200)
        let noteA = try #require(try gw.a.store.latestCheckpoint()).note
        try gw.b.grow(700)  // B goes on past A's size
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let witness = try await Self.witness(gw.a, store: store, boundFirstByCollection: false)
        await #expect(Self.push(witness, noteA).outcome == .cosigned)
        let server = try TestTileServer(gateway: gw.b)
        try await withServer(server.router) { port in
            let collector = try await Self.collector(gw.b, port: port, store: store)
            let report = await collector.pullOnce()
            await collector.shutdown()
            #expect(report.outcome.refusal?.contains("fork alarm") == true, "\(report.outcome)")
        }
        let evidence = try #require(try await store.forkEvidence(origin: gw.a.origin).first)
        #expect(evidence.witnessSize == 200)
        #expect(evidence.collectedSize == 900)
        #expect(try await store.anchorJobs().isEmpty)
    }

    @Test(
        "one history seen both ways is no fork: the collector checks the cosigned size and anchors",
        arguments: UpstreamEngine.allCases)
    func consistentViews(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(300)
        let first = try #require(try gateway.store.latestCheckpoint())
        try gateway.grow(500)
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let witness = try await Self.witness(gateway, store: store, boundFirstByCollection: false)
        await #expect(Self.push(witness, first.note).outcome == .cosigned)
        let server = try TestTileServer(gateway: gateway)
        try await withServer(server.router) { port in
            let collector = try await Self.collector(gateway, port: port, store: store)
            #expect(await collector.pullOnce().outcome == .verified)
            await collector.shutdown()
        }
        let latest = try #require(try gateway.store.latestCheckpoint())
        let proof = try gateway.store.consistencyProof(from: 300, to: latest.size)
        await #expect(Self.push(witness, latest.note, oldSize: 300, proof: proof).outcome == .cosigned)
        #expect(try await store.forkEvidence().isEmpty)
        // What the collector checked is not kept beyond the last checked size.
        #expect(try await store.witnessCheckpoints(origin: gateway.origin).map(\.size) == [300, 800])
        try gateway.grow(10)
        let server2 = try TestTileServer(gateway: gateway)
        try await withServer(server2.router) { port in
            let collector = try await Self.collector(gateway, port: port, store: store)
            #expect(await collector.pullOnce().outcome == .verified)
            await collector.shutdown()
        }
        #expect(try await store.witnessCheckpoints(origin: gateway.origin).map(\.size) == [800])
        #expect(try await store.dueAnchorJobs(now: .max).count == 2)
    }
}

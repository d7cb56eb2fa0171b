import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

@Suite("Push: the agent's pusher uploads to the upstream's mirror; pull and push of one origin")
struct MirrorPushTests {
    /// A gateway with 300 entries and a twin signing another 300 with the same key and origin.
    static func twins(
        _ dir: TemporaryFolder
    ) throws -> (GatewayFixture, CheckpointRecord, GatewayFixture, CheckpointRecord) {
        let gateway = try GatewayFixture(dir: dir)
        let honest = try gateway.grow(300)
        let twin = try GatewayFixture(dir: dir, file: "twin.db", key: gateway.key)
        try twin.append(299, payloadSize: 40)
        return (gateway, honest, twin, try twin.grow(1))
    }

    static func pusher(_ gateway: GatewayFixture, _ m: MirrorFixture, port: Int) throws -> WitnessPusher {
        try WitnessPusher(
            store: gateway.store,
            upstreams: [
                UpstreamPeerConfiguration(
                    name: "dc-1", url: "http://127.0.0.1:\(port)/mirror", token: ConfigSecret(value: "token-1"),
                    mode: .push, mirrorKey: m.mirror.verifierKey.string)
            ], logger: testLogger("test.push", level: .critical))
    }

    @Test(
        "a backlog goes up in requests of at most 32 packages; the cosignature becomes the acknowledgement",
        arguments: UpstreamEngine.allCases)
    func agentPushesBacklog(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(33_000)  // 129 packages: a question, then five requests
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(m.router) { port in
            let pusher = try Self.pusher(gateway, m, port: port)
            #expect(await pusher.pushOnce() == ["dc-1": "ok"])
            try await MirrorTests.expectHolds(gateway, m, size: 33_000)
            #expect(try gateway.store.upstream(named: "dc-1")?.ackedSize == 33_000)
            try gateway.grow(100)
            #expect(await pusher.pushOnce() == ["dc-1": "ok"])
            try await MirrorTests.expectHolds(gateway, m, size: 33_100)
            #expect(try gateway.store.upstream(named: "dc-1")?.ackedSize == 33_100)
            #expect(await pusher.pushOnce() == ["dc-1": "idle"])
            await pusher.shutdown()
            // Retention with required_for_retention prunes what the mirror acknowledged.
            let pruned = try gateway.store.prune(requiredUpstreams: ["dc-1"], minAge: .zero, now: .max)
            #expect(pruned.prunedEntries == 33_100)
        }
    }

    @Test(
        "a pull that loses the next entry to an upload goes on at the next pull_interval, not after backoff.max",
        arguments: UpstreamEngine.allCases)
    func pullRacedByAnUpload(engine: UpstreamEngine) async throws {
        // scripts/faults/push-switch.sh: the registry switched back to pull while the gateway still
        // pushed; the collector's first pull lost the compare-and-set to an upload ("the staged
        // size … is 21504, not 21460") and collection then waited backoff.max (5 minutes).
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(1000)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        let tiles = try TestTileServer(gateway: gateway)
        try await withServer(tiles.router) { tilesPort in
            try await withServer(m.router) { port in
                var enrolled = gateway.gatewayConfiguration(url: "http://127.0.0.1:\(tilesPort)")
                enrolled.pullInterval = .milliseconds(200)
                enrolled.backoff = BackoffConfiguration(initial: .milliseconds(50), max: .seconds(300))
                let collector = try GatewayCollector(
                    gateway: enrolled, store: m.store, logger: testLogger("test.collector", level: .critical))
                #expect(await collector.pullOnce().outcome == .verified)
                let next = try gateway.grow(600)
                let client = MirrorClient(port: port)
                #expect(try await client.addCheckpoint(gateway, old: 1000, note: next.note, size: 1600).status == 200)
                // While the pull fetches the new entries, an upload stages the first package.
                tiles.beforeFirstBundle.withLock {
                    $0 = {
                        let partial = try? await client.addEntries(gateway, start: 1000, end: 1600, packages: 1)
                        #expect(partial?.status == 202 && partial?.mirrorInfo?.nextEntry == 1024)
                    }
                }
                let caughtUp = try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        try await collector.run()
                        return false
                    }
                    let deadline = ContinuousClock.now + .seconds(20)
                    var done = false
                    while !done, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(100))
                        done = try await m.store.gatewayState(origin: gateway.origin)?.verifiedSize == 1600
                    }
                    group.cancelAll()
                    return done
                }
                #expect(caughtUp, "the collector did not go on within 20 s after losing the race")
                try await MirrorTests.expectHolds(gateway, m, size: 1600)
                await collector.shutdown()
            }
        }
        #expect(try await m.store.forkEvidence(origin: gateway.origin).isEmpty)
    }

    @Test(
        "a mirror whose cosignature does not verify with mirror_key is not an acknowledgement",
        arguments: [UpstreamEngine.sqlite])
    func wrongMirrorKeyIsNoAcknowledgement(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(300)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        let other = try CosignatureV1Signer(name: "mirror.example/m1", privateKey: PrivateKey.generate(.ed25519))
        try await withServer(m.router) { port in
            let pusher = try WitnessPusher(
                store: gateway.store,
                upstreams: [
                    UpstreamPeerConfiguration(
                        name: "dc-1", url: "http://127.0.0.1:\(port)/mirror", token: ConfigSecret(value: "token-1"),
                        mode: .push, mirrorKey: other.verifierKey.string)
                ], logger: testLogger("test.push", level: .critical))
            let result = await pusher.pushOnce()
            #expect(result["dc-1"]?.contains("does not verify") == true, "\(result)")
            #expect(try gateway.store.upstream(named: "dc-1")?.ackedSize ?? 0 == 0)
            await pusher.shutdown()
        }
    }

    @Test("switching pull → push → pull for one origin: no gap, no duplicate", arguments: UpstreamEngine.allCases)
    func switchingPullAndPush(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(1300)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        let tiles = try TestTileServer(gateway: gateway)
        try await withServer(tiles.router) { tilesPort in
            try await withServer(m.router) { port in
                let collector = try await CollectorTests.collector(gateway, port: tilesPort, store: m.store)
                #expect(await collector.pullOnce().outcome == .verified)
                try await MirrorTests.expectHolds(gateway, m, size: 1300)
                // Push from there: the mirror's state is the collected tree (409 to size 1300 first).
                try gateway.grow(1000)
                let pusher = try Self.pusher(gateway, m, port: port)
                #expect(await pusher.pushOnce() == ["dc-1": "ok"])
                try await MirrorTests.expectHolds(gateway, m, size: 2300)
                // Half an upload (a cut), then the pull takes over and the push resumes after it.
                let third = try gateway.grow(700)
                let client = MirrorClient(port: port)
                #expect(try await client.addCheckpoint(gateway, old: 2300, note: third.note, size: 3000).status == 200)
                let partial = try await client.addEntries(gateway, start: 2300, end: 3000, packages: 1)
                #expect(partial.status == 202 && partial.mirrorInfo?.nextEntry == 2304)
                try gateway.grow(10)
                #expect(await collector.pullOnce().outcome == .verified)
                try await MirrorTests.expectHolds(gateway, m, size: 3010)
                try gateway.grow(5)
                #expect(await pusher.pushOnce() == ["dc-1": "ok"])
                try await MirrorTests.expectHolds(gateway, m, size: 3015)
                await pusher.shutdown()
                await collector.shutdown()
            }
        }
        #expect(try await m.store.forkEvidence(origin: gateway.origin).isEmpty)
    }

    @Test(
        "a checkpoint pushed to the mirror that contradicts the collected tree is fork evidence",
        arguments: UpstreamEngine.allCases)
    func forkThroughTheMirror(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let (gateway, honest, twin, forked) = try Self.twins(dir)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(m.router) { port in
            let client = MirrorClient(port: port)
            #expect(try await client.addCheckpoint(gateway, old: 0, note: honest.note, size: 300).status == 200)
            #expect(try await client.addEntries(gateway, start: 0, end: 300).status == 200)
            // The same size, another root, signed by the same key.
            let r = try await client.addCheckpoint(twin, old: 300, note: forked.note, size: 300)
            #expect(r.status == 422, "\(r.text)")
            #expect(try await m.store.forkEvidence(origin: gateway.origin).first?.detectedBy == .mirror)
            // The origin takes nothing more.
            #expect(try await client.addEntries(gateway, start: 300, end: 300).status == 422)
        }
    }

    @Test(
        "the witness and the collector check the mirror's pending checkpoints too (one view per origin)",
        arguments: UpstreamEngine.allCases)
    func pendingCheckpointsAreChecked(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let (gateway, honest, twin, forked) = try Self.twins(dir)
        // The witness: a pushed checkpoint of the size of a pending one, with another root.
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        try await withServer(m.router) { port in
            let client = MirrorClient(port: port)
            #expect(try await client.addCheckpoint(gateway, old: 0, note: honest.note, size: 300).status == 200)
            let r = try await post(
                port: port, "add-checkpoint", body: WitnessRequest.body(oldSize: 0, proof: [], note: forked.note))
            #expect(r.status == 422, "\(r.text)")
        }
        #expect(try await m.store.forkEvidence(origin: gateway.origin).first?.detectedBy == .witness)
        // The collector: it verifies the twin's tree against a pending checkpoint of the honest log.
        let m2 = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine, file: "second.db")
        let tiles = try TestTileServer(gateway: twin)
        try await withServer(tiles.router) { tilesPort in
            try await withServer(m2.router) { port in
                let client = MirrorClient(port: port)
                #expect(try await client.addCheckpoint(gateway, old: 0, note: honest.note, size: 300).status == 200)
                let collector = try await CollectorTests.collector(twin, port: tilesPort, store: m2.store)
                _ = await collector.pullOnce()
                await collector.shutdown()
            }
        }
        #expect(try await m2.store.forkEvidence(origin: gateway.origin).first?.detectedBy == .collector)
    }

    @Test("a gzip bomb stops at the bound (413), having stored nothing", arguments: [UpstreamEngine.sqlite])
    func gzipBomb(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let checkpoint = try gateway.grow(300)
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine, maxRequestBytes: 1 << 20)
        try await withServer(m.router) { port in
            let client = MirrorClient(port: port)
            #expect(try await client.addCheckpoint(gateway, old: 0, note: checkpoint.note, size: 300).status == 200)
            // A valid header, then 256 entries of 65,535 zero bytes: 16 MiB that gzip to ~16 KiB.
            var body = MirrorUploadHeader(origin: gateway.origin, uploadStart: 0, uploadEnd: 300).encoded
            body.reserveCapacity(body.count + 256 * 65_537)
            for _ in 0..<256 { body += [0xff, 0xff] + [UInt8](repeating: 0, count: 65_535) }
            let compressed = try #require(Gzip.compress(body))
            #expect(compressed.count < 100_000)
            let r = try await client.post("mirror/add-entries", compressed, gzipped: true)
            #expect(r.status == 413, "\(r.status) \(r.text)")
        }
        #expect(try await m.store.gatewayState(origin: gateway.origin)?.stagedSize == 0)
    }

    @Test("the inflater never produces more than its bound, whatever the stream claims")
    func inflaterBound() throws {
        let bomb = try #require(Gzip.compress([UInt8](repeating: 0, count: 64 << 20)))
        let inflater = try GzipInflater(maxOutputBytes: 1 << 20)
        var produced = 0
        #expect(throws: GzipError.self) {
            try inflater.inflate(bomb) { (piece: UnsafeRawBufferPointer) in produced += piece.count }
        }
        #expect(produced <= 1 << 20)
        // A small body inflates fully.
        let small = try GzipInflater(maxOutputBytes: 1 << 20)
        var out: [UInt8] = []
        try small.inflate(try #require(Gzip.compress(Array("hello".utf8)))) { (piece: UnsafeRawBufferPointer) in
            out += piece
        }
        #expect(out == Array("hello".utf8) && small.finish())
    }
}

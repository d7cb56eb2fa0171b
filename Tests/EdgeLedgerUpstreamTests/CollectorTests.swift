import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Hummingbird
import Synchronization
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

@Suite("Collector: pull, verify, store, acknowledge")
struct CollectorTests {
    static func collector(
        _ gateway: GatewayFixture, port: Int, store: CollectorStore, anchoring: Bool = false, batchBundles: Int = 16,
        batchBytes: Int = 8 << 20, cosigners: [any NoteVerifier] = []
    ) async throws -> GatewayCollector {
        try GatewayCollector(
            gateway: gateway.gatewayConfiguration(url: "http://127.0.0.1:\(port)"), store: store, anchoring: anchoring,
            cosigners: cosigners, parallelFetches: 4, batchBundles: batchBundles, batchBytes: batchBytes,
            logger: testLogger("test.collector", level: .critical))
    }

    /// Every collected entry equals the gateway's.
    static func expectSameEntries(
        _ gateway: GatewayFixture, _ store: CollectorStore, id: Int64, size: UInt64
    ) async throws {
        let ours = try await store.entries(gateway: id, from: 0, to: size)
        let theirs = try gateway.store.reader.encodedEntries(from: 0, to: size)
        #expect(ours.count == Int(size))
        #expect(ours == theirs)
    }

    @Test(
        "pulls every entry, verifies the root, stores the checkpoint and acknowledges; then increments",
        arguments: UpstreamEngine.allCases)
    func pullsAndAcknowledges(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(700)
        try gateway.grow(1234)  // several checkpoints: only the latest is pulled
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let server = try TestTileServer(gateway: gateway)
        try await withServer(server.router) { port in
            let collector = try await Self.collector(gateway, port: port, store: store)
            let report = await collector.pullOnce()
            #expect(report.outcome == .verified)
            #expect(report.fetchedEntries == 1934)
            #expect(report.ackedSize == 1934)
            let state = try #require(try await store.gatewayState(origin: gateway.origin))
            #expect(state.verifiedSize == 1934)
            #expect(state.stagedSize == 1934)
            #expect(state.verifiedRoot == (try gateway.store.latestCheckpoint())?.root)
            try await Self.expectSameEntries(gateway, store, id: state.id, size: 1934)
            #expect(try await store.checkpoints(gateway: state.id).map(\.size) == [1934])

            // Nothing new.
            #expect(await collector.pullOnce().outcome == .upToDate)

            // More entries, in a size that ends mid-bundle twice.
            try gateway.grow(5)
            try gateway.grow(300)
            let second = await collector.pullOnce()
            #expect(second.outcome == .verified)
            #expect(second.fetchedEntries == 305)
            let after = try #require(try await store.gatewayState(origin: gateway.origin))
            #expect(after.verifiedSize == 2239)
            #expect(after.ackedSize == 2239)
            try await Self.expectSameEntries(gateway, store, id: after.id, size: 2239)
            // The collector's own tiles give the same root as the gateway's.
            let root = try await store.withTiles(gateway: after.id) {
                try TiledTree.rootHash(size: 2239, reader: $0, hasher: OpenSSLHasher.sha256)
            }
            #expect(root == (try gateway.store.latestCheckpoint())?.root)
            await collector.shutdown()
        }
        #expect(server.acks.withLock { $0.map(\.size) } == [1934, 2239])
        #expect(try gateway.store.upstream(named: "dc-1")?.ackedSize == 2239)
    }

    @Test("a tampered entry is refused, logged with where, and never acknowledged", arguments: UpstreamEngine.allCases)
    func tamperedEntryRefused(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(600)
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let server = try TestTileServer(gateway: gateway)
        // Flip one byte of one entry's payload in bundle 1.
        server.setTamper { path, bytes in
            guard path == "tile/entries/001" else { return bytes }
            var b = bytes
            b[b.count - 3] ^= 0x01
            return b
        }
        try await withServer(server.router) { port in
            let collector = try await Self.collector(gateway, port: port, store: store)
            let report = await collector.pullOnce()
            guard case .refused(let why) = report.outcome else {
                Issue.record("expected a refusal, got \(report.outcome)")
                return
            }
            #expect(why.contains("tile/entries/001"))
            #expect(why.contains("entry 511"))
            #expect(report.ackedSize == 0)
            await collector.shutdown()
        }
        #expect(server.acks.withLock { $0.isEmpty })
        let state = try #require(try await store.gatewayState(origin: gateway.origin))
        #expect(state.verifiedSize == 0)
        #expect(state.ackedSize == 0)
        #expect(try gateway.store.upstream(named: "dc-1") == nil)
    }

    @Test(
        "a tampered hash tile is refused, and an entry and tile tampered together fail the root check",
        arguments: UpstreamEngine.allCases)
    func tamperedTileRefused(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(70_000)  // three levels of tiles
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let server = try TestTileServer(gateway: gateway)
        let hasher = OpenSSLHasher.sha256
        try await withServer(server.router) { port in
            let collector = try await Self.collector(gateway, port: port, store: store)
            // A level-1 tile with one hash changed.
            server.setTamper { path, bytes in
                guard path == "tile/1/000" else { return bytes }
                var b = bytes
                b[32 * 5] ^= 0x80
                return b
            }
            let r1 = await collector.pullOnce()
            guard case .refused(let why) = r1.outcome else {
                Issue.record("expected a refusal, got \(r1.outcome)")
                return
            }
            #expect(why.contains("tile/1/000"))
            #expect(why.contains("position 5"))

            // Entry 300 and its leaf hash in tile 0/001 replaced consistently: the level-1 tile
            // computed from the entries then differs from the served one.
            server.setTamper { path, bytes in
                var b = bytes
                if path == "tile/entries/001" {
                    b = Self.replaceEntry(in: bytes, position: 44) { $0[$0.count - 2] ^= 0x01 }
                } else if path == "tile/0/001" {
                    let entry = Self.entry(
                        in: Self.replaceEntry(
                            in: try! gateway.store.reader.entryBundle(index: 1, width: 256)!, position: 44
                        ) {
                            $0[$0.count - 2] ^= 0x01
                        }, position: 44)
                    let leaf = hasher.leafHash(entry).bytes
                    b.replaceSubrange(44 * 32..<45 * 32, with: leaf)
                }
                return b
            }
            let r2 = await collector.pullOnce()
            guard case .refused(let why2) = r2.outcome else {
                Issue.record("expected a refusal, got \(r2.outcome)")
                return
            }
            #expect(why2.contains("tile/1/000"))
            #expect(why2.contains("position 1 "))

            // Served honestly again: everything is collected.
            server.setTamper { _, bytes in bytes }
            let r3 = await collector.pullOnce()
            #expect(r3.outcome == .verified)
            #expect(r3.ackedSize == 70_000)
            await collector.shutdown()
        }
        #expect(server.acks.withLock { $0.map(\.size) } == [70_000])
        let state = try #require(try await store.gatewayState(origin: gateway.origin))
        try await Self.expectSameEntries(gateway, store, id: state.id, size: 70_000)
    }

    @Test("a forked or rolled-back checkpoint is refused and not acknowledged", arguments: UpstreamEngine.allCases)
    func forkAndRollbackRefused(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(1000)
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let honest = try TestTileServer(gateway: gateway)
        try await withServer(honest.router) { port in
            let collector = try await Self.collector(gateway, port: port, store: store)
            #expect(await collector.pullOnce().outcome == .verified)
            await collector.shutdown()
        }
        // The same origin and key, a different history, larger.
        let fork = try GatewayFixture(dir: dir, origin: gateway.origin, file: "fork.db", key: gateway.key)
        try fork.append(999)
        try fork.append(1, payloadSize: 80)
        try fork.append(500)
        try fork.seal()
        let forkServer = try TestTileServer(gateway: fork)
        try await withServer(forkServer.router) { port in
            let collector = try await Self.collector(gateway, port: port, store: store)
            let report = await collector.pullOnce()
            guard case .refused(let why) = report.outcome else {
                Issue.record("expected a refusal, got \(report.outcome)")
                return
            }
            #expect(why.contains("fork") || why.contains("inconsistent"))
            #expect(report.fetchedEntries == 0)
            await collector.shutdown()
        }
        #expect(forkServer.acks.withLock { $0.isEmpty })
        // A smaller checkpoint of the same log (a gateway restored from an old backup).
        let old = try GatewayFixture(dir: dir, origin: gateway.origin, file: "old.db", key: gateway.key)
        try old.grow(10)
        let oldServer = try TestTileServer(gateway: old)
        try await withServer(oldServer.router) { port in
            let collector = try await Self.collector(gateway, port: port, store: store)
            let report = await collector.pullOnce()
            guard case .refused(let why) = report.outcome else {
                Issue.record("expected a refusal, got \(report.outcome)")
                return
            }
            #expect(why.contains("rollback"))
            await collector.shutdown()
        }
        let state = try #require(try await store.gatewayState(origin: gateway.origin))
        #expect(state.verifiedSize == 1000)
        #expect(state.verifiedRoot == (try gateway.store.latestCheckpoint())?.root)
    }

    @Test("a checkpoint signed by an unknown key is refused", arguments: UpstreamEngine.allCases)
    func badSignatureRefused(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let impostor = try GatewayFixture(dir: dir, origin: gateway.origin, file: "impostor.db")
        try impostor.grow(10)
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let server = try TestTileServer(gateway: impostor)
        try await withServer(server.router) { port in
            let collector = try await Self.collector(gateway, port: port, store: store)
            let report = await collector.pullOnce()
            guard case .refused(let why) = report.outcome else {
                Issue.record("expected a refusal, got \(report.outcome)")
                return
            }
            #expect(why.contains("checkpoint refused"))
            await collector.shutdown()
        }
        #expect(server.acks.withLock { $0.isEmpty })
    }

    /// How a collector cuts its batches: by bundles, or by bytes before its bundles.
    enum Batching: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// One bundle a batch.
        case oneBundle
        /// Up to 64 bundles, but at most 1 byte: every bundle a batch of its own (and fetched only
        /// once the one before is parsed); without the byte bound none would be stored.
        case oneByte

        var testDescription: String { rawValue }
        var bundles: Int { self == .oneBundle ? 1 : 64 }
        var bytes: Int { self == .oneBundle ? 8 << 20 : 1 }
    }

    @Test(
        "an interrupted catch-up resumes from the staged entries (batches cut by bundles or by bytes)",
        arguments: UpstreamEngine.allCases, Batching.allCases)
    func resumes(engine: UpstreamEngine, batching: Batching) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(2000)
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let server = try TestTileServer(gateway: gateway)
        // Bundle 5 is unavailable: bundles 0...4 are staged, one per batch, then the pull stops.
        server.setTamper { path, bytes in path == "tile/entries/005" ? [] : bytes }
        try await withServer(server.router) { port in
            let collector = try await Self.collector(
                gateway, port: port, store: store, batchBundles: batching.bundles, batchBytes: batching.bytes)
            let first = await collector.pullOnce()
            guard case .refused = first.outcome else {
                Issue.record("expected a refusal, got \(first.outcome)")
                return
            }
            let staged = try #require(try await store.gatewayState(origin: gateway.origin))
            #expect(staged.verifiedSize == 0)
            #expect(staged.stagedSize == 1280)
            server.setTamper { _, bytes in bytes }
            let second = await collector.pullOnce()
            #expect(second.outcome == .verified)
            #expect(second.fetchedEntries == 720)
            await collector.shutdown()
        }
        let state = try #require(try await store.gatewayState(origin: gateway.origin))
        #expect(state.verifiedSize == 2000)
        try await Self.expectSameEntries(gateway, store, id: state.id, size: 2000)
    }

    @Test("staged entries that do not lead to the signed root are discarded", arguments: UpstreamEngine.allCases)
    func discardsBadStaging(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(1000)
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let state = try await store.registerGateway(origin: gateway.origin, hash: .sha256)
        // Stage 512 wrong entries directly, as a previous run fooled by a gateway could have.
        var batch = CollectorEntryBatch()
        var leaves: [Hash32] = []
        for i in 0..<512 {
            let entry = Array("bogus \(i)".utf8)
            batch.append(entry)
            leaves.append(OpenSSLHasher.sha256.leafHash(entry))
        }
        try await store.stage(
            gateway: state.id, stagedSize: 0, entries: batch, leafHashes: leaves, hasher: OpenSSLHasher.sha256)
        let server = try TestTileServer(gateway: gateway)
        try await withServer(server.router) { port in
            let collector = try await Self.collector(gateway, port: port, store: store)
            let first = await collector.pullOnce()
            guard case .refused = first.outcome else {
                Issue.record("expected a refusal, got \(first.outcome)")
                return
            }
            #expect(try await store.gatewayState(origin: gateway.origin)?.stagedSize == 0)
            #expect(await collector.pullOnce().outcome == .verified)
            await collector.shutdown()
        }
        let after = try #require(try await store.gatewayState(origin: gateway.origin))
        try await Self.expectSameEntries(gateway, store, id: after.id, size: 1000)
    }

    // MARK: - Bundle surgery for the tamper tests

    static func offsets(_ bundle: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var o = 0
        while o < bundle.count {
            let n = Int(bundle[o]) << 8 | Int(bundle[o + 1])
            out.append(o + 2..<o + 2 + n)
            o += 2 + n
        }
        return out
    }

    static func entry(in bundle: [UInt8], position: Int) -> [UInt8] {
        Array(bundle[offsets(bundle)[position]])
    }

    static func replaceEntry(in bundle: [UInt8], position: Int, _ change: (inout [UInt8]) -> Void) -> [UInt8] {
        let range = offsets(bundle)[position]
        var e = Array(bundle[range])
        change(&e)
        var b = bundle
        b.replaceSubrange(range, with: e)
        return b
    }
}

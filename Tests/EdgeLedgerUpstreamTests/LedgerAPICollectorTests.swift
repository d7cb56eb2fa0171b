import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Logging
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

/// The collector and the pusher against the agent's real HTTP API (`LedgerAPIService`) and the
/// real witness server (`WitnessService`), over loopback.
@Suite("Collector and pusher against the agent's HTTP API")
struct LedgerAPICollectorTests {
    /// Runs the agent's HTTP API over `gateway` with a token for the upstream "dc-1".
    static func withAgentAPI<R: Sendable>(
        _ gateway: GatewayFixture, cosignedBy upstreams: [UpstreamPeerConfiguration] = [],
        _ body: @Sendable (Int) async throws -> R
    ) async throws -> R {
        let digest = Hex.encode(OpenSSLHasher.sha256.hash(Array("collector-token".utf8)).bytes)
        let http = HTTPConfiguration(
            listen: HostPort(host: "127.0.0.1", port: 0),
            tokens: [HTTPTokenConfiguration(name: "dc-1", credential: .sha256Hex(digest))])
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let service = try LedgerAPIService(
            http: http,
            upstreams: upstreams.isEmpty ? [UpstreamPeerConfiguration(name: "dc-1", witness: false)] : upstreams,
            storePath: gateway.path, hasher: OpenSSLHasher.sha256, acknowledger: gateway.store,
            status: LedgerAPIStatusClosure { .ready }, logger: testLogger("test.api", level: .critical),
            onServerRunning: { continuation.yield($0) })
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw UpstreamError("the API did not start") }
            do {
                let result = try await body(port)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    @Test("the collector pulls from LedgerAPI, ends with every entry and the same root, and acknowledges")
    func pullsFromLedgerAPI() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(3000)
        try gateway.grow(77)
        let store = try CollectorStore(path: dir.file("upstream.db"), durability: .process)
        try await Self.withAgentAPI(gateway) { port in
            let collector = try await CollectorTests.collector(gateway, port: port, store: store)
            let first = await collector.pullOnce()
            #expect(first.outcome == .verified)
            #expect(first.ackedSize == 3077)
            try gateway.grow(1)
            let second = await collector.pullOnce()
            #expect(second.outcome == .verified)
            #expect(second.fetchedEntries == 1)
            #expect(await collector.pullOnce().outcome == .upToDate)
            await collector.shutdown()
        }
        let state = try #require(try await store.gatewayState(origin: gateway.origin))
        #expect(state.verifiedSize == 3078)
        #expect(state.verifiedRoot == (try gateway.store.latestCheckpoint())?.root)
        try await CollectorTests.expectSameEntries(gateway, store, id: state.id, size: 3078)
        let upstream = try #require(try gateway.store.upstream(named: "dc-1"))
        #expect(upstream.ackedSize == 3078)
        #expect(upstream.ackedRoot == state.verifiedRoot)
    }

    @Test("a tampered entry in the gateway's store is refused by the collector and never acknowledged")
    func tamperedStoreRefused() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(1000)
        // Damage entry 700's bytes behind the store's back (its leaf hash and tiles stay).
        var entry = try #require(try gateway.store.reader.encodedEntries(from: 700, to: 701).first)
        entry[entry.count - 2] ^= 0x20
        try RawSQL.execute(gateway.path, "UPDATE entries SET entry = ?1 WHERE idx = 700", blob: entry)
        let store = try CollectorStore(path: dir.file("upstream.db"), durability: .process)
        try await Self.withAgentAPI(gateway) { port in
            let collector = try await CollectorTests.collector(gateway, port: port, store: store)
            let report = await collector.pullOnce()
            guard case .refused(let why) = report.outcome else {
                Issue.record("expected a refusal, got \(report.outcome)")
                return
            }
            #expect(why.contains("entry 700"))
            #expect(why.contains("tile/entries/002"))
            await collector.shutdown()
        }
        #expect(try gateway.store.upstream(named: "dc-1") == nil)
        #expect(try await store.gatewayState(origin: gateway.origin)?.verifiedSize == 0)
    }

    @Test("end to end: the witness cosigns what the pusher sends, the agent serves it, the collector anchors it")
    func witnessCollectorEndToEnd() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let w = try WitnessFixture(dir: dir, gateways: [gateway], file: "upstream.db")
        try gateway.grow(500)
        let (witnessPorts, continuation) = AsyncStream<Int>.makeStream()
        let witnessService = try WitnessService(
            witness: w.witness,
            http: UpstreamHTTPConfiguration(listen: HostPort(host: "127.0.0.1", port: 0)),
            logger: testLogger("test.witness"), onServerRunning: { continuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await witnessService.run() }
            var iterator = witnessPorts.makeAsyncIterator()
            let witnessPort = try #require(await iterator.next())
            let upstream = UpstreamPeerConfiguration(
                name: "dc-1", url: "http://127.0.0.1:\(witnessPort)", witness: true,
                verifierKey: w.witness.verifierKey.string)
            let pusher = try WitnessPusher(
                store: gateway.store, upstreams: [upstream], logger: testLogger("test.push"))
            #expect(await pusher.pushOnce() == ["dc-1": "ok"])
            await pusher.shutdown()
            try await Self.withAgentAPI(gateway, cosignedBy: [upstream]) { port in
                let collector = try await CollectorTests.collector(
                    gateway, port: port, store: w.store, anchoring: true, cosigners: [w.verifier])
                #expect(await collector.pullOnce().outcome == .verified)
                await collector.shutdown()
            }
            group.cancelAll()
        }
        // The checkpoint the collector verified carries the witness's cosignature.
        let state = try #require(try await w.store.gatewayState(origin: gateway.origin))
        let collected = try #require(try await w.store.checkpoints(gateway: state.id).last)
        let note = try Note(parsing: collected.note)
        #expect(try NoteSigning.open(note, verifiers: [w.verifier]).count == 1)
        let job = try #require(try await w.store.anchorJobs().first)
        #expect(job.document.contains("\"cosigners\":[\"\(w.witness.name)\"]"))
        #expect(job.document.contains("\"id\":\"\(gateway.origin)#500\""))
    }
}

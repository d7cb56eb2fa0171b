import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@testable import EdgeLedgerUpstream

@Suite("Collectors share a memory budget for fetched entries", .serialized)
struct CollectorMemoryBudgetTests {
    @Test("reservations fit within the capacity, or are forced; releases give them back")
    func accounting() {
        let budget = CollectorMemoryBudget(capacity: 1000)
        #expect(budget.reserve(600, force: false))
        #expect(!budget.reserve(500, force: false))
        #expect(budget.used == 600)
        #expect(budget.reserve(500, force: true))
        #expect(budget.used == 1100 && budget.peak == 1100)
        budget.release(1100)
        #expect(budget.used == 0 && budget.peak == 1100)
        #expect(budget.reserve(1000, force: false))
    }

    /// Pulls every gateway at once, each with its own collector and `budget`; returns their
    /// outcomes.
    static func pullAll(
        _ gateways: [GatewayFixture], engine: UpstreamEngine, dir: TemporaryFolder, name: String,
        budget: CollectorMemoryBudget, batchBytes: Int
    ) async throws -> [PullReport.Outcome] {
        let store = try UpstreamTestStores.make(engine, dir: dir, name: name)
        let servers = try gateways.map { try TestTileServer(gateway: $0) }
        return try await withServers(servers) { ports in
            let collectors = try zip(gateways, ports).map { gateway, port in
                try GatewayCollector(
                    gateway: gateway.gatewayConfiguration(url: "http://127.0.0.1:\(port)"), store: store,
                    parallelFetches: 16, batchBundles: 64, batchBytes: batchBytes, memory: budget,
                    logger: testLogger("test.collector", level: .critical))
            }
            let outcomes = await withTaskGroup(of: PullReport.Outcome.self) { group in
                for collector in collectors { group.addTask { await collector.pullOnce().outcome } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for collector in collectors { await collector.shutdown() }
            for gateway in gateways {
                let state = try #require(try await store.gatewayState(origin: gateway.origin))
                #expect(state.verifiedSize == 2048)
                try await CollectorTests.expectSameEntries(gateway, store, id: state.id, size: 2048)
            }
            return outcomes
        }
    }

    @Test(
        "gateways serving large entries at once: the collectors hold the budget and about a batch each, and every entry arrives",
        arguments: UpstreamEngine.allCases)
    func largeEntriesAtOnce(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        // Four gateways, each 8 bundles of 256 entries of 4 KiB (about 1 MiB a bundle): the first
        // reservations (512 bytes an entry) are too small, so each bundle is fetched again.
        var gateways: [GatewayFixture] = []
        for n in 0..<4 {
            let gateway = try GatewayFixture(dir: dir, origin: "test.example/gw-\(n)", file: "gateway-\(n).db")
            try gateway.append(2048, payloadSize: 4096)
            try gateway.seal()
            gateways.append(gateway)
        }
        let bundle = 256 * (2 + 4096 + 128)
        let batchBytes = 1 << 20
        let capacity = 2 << 20
        // Past the capacity a collector fetches only with nothing else in progress: it holds at
        // most its unfinished batch (up to batchBytes and a bundle) and one reservation (at most
        // twice a bundle, after doubling).
        let bound = capacity + gateways.count * (batchBytes + 3 * bundle)
        let budget = CollectorMemoryBudget(capacity: capacity)
        let outcomes = try await Self.pullAll(
            gateways, engine: engine, dir: dir, name: "budget.db", budget: budget, batchBytes: batchBytes)
        #expect(outcomes == Array(repeating: .verified, count: gateways.count))
        #expect(budget.peak <= bound, "peak \(budget.peak) bytes, bound \(bound)")
        #expect(budget.used == 0, "every reservation is given back")
        // The same pulls without a budget to speak of hold far more at once: the bound above is
        // what the budget does, not what these pulls would do anyway.
        let unbounded = CollectorMemoryBudget(capacity: 1 << 40)
        _ = try await Self.pullAll(
            gateways, engine: engine, dir: dir, name: "unbounded.db", budget: unbounded, batchBytes: batchBytes)
        #expect(unbounded.peak > bound, "without the budget: peak \(unbounded.peak), bound \(bound)")
    }

    @Test(
        "a bundle larger than its reservation is fetched again even while smaller ones after it fill the window",
        arguments: UpstreamEngine.allCases)
    func refetchIsNotHeldBackByTheWindow(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        // Bundle 0 of 2 KiB entries (about 530 KB: over the first reservation of about 130 KB),
        // answered late, then bundles of small entries (about 21 KB), which fill the window's
        // bytes (2 × 16 KiB) meanwhile.
        let gateway = try GatewayFixture(dir: dir)
        try gateway.append(256, payloadSize: 2048)
        try gateway.append(2048, payloadSize: 48)
        try gateway.seal()
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let budget = CollectorMemoryBudget(capacity: 1 << 30)
        let server = try TestTileServer(gateway: gateway)
        server.bundleDelays.withLock { $0[0] = .milliseconds(300) }
        try await withServers([server]) { ports in
            let collector = try GatewayCollector(
                gateway: gateway.gatewayConfiguration(url: "http://127.0.0.1:\(ports[0])"), store: store,
                parallelFetches: 4, batchBundles: 64, batchBytes: 16 << 10, memory: budget,
                logger: testLogger("test.collector", level: .critical))
            let report = await collector.pullOnce()
            await collector.shutdown()
            try #require(report.outcome == .verified, "\(report)")
            let state = try #require(try await store.gatewayState(origin: gateway.origin))
            try await CollectorTests.expectSameEntries(gateway, store, id: state.id, size: 2304)
        }
        #expect(budget.used == 0)
    }

    @Test("a pull's reservation per entry follows the entries it saw, down as well as up")
    func estimateFollowsTheEntries() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.append(256, payloadSize: 2048)
        try gateway.seal()
        let store = try UpstreamTestStores.make(.sqlite, dir: dir, name: "upstream.db")
        let server = try TestTileServer(gateway: gateway)
        try await withServers([server]) { ports in
            let collector = try GatewayCollector(
                gateway: gateway.gatewayConfiguration(url: "http://127.0.0.1:\(ports[0])"), store: store,
                parallelFetches: 4, memory: CollectorMemoryBudget(capacity: 1 << 30),
                logger: testLogger("test.collector", level: .critical))
            try #require(await collector.pullOnce().outcome == .verified)
            #expect(collector.entryEstimateOfLastPull.withLock { $0 } > 2048)
            // Then only small entries: the next pull reserves for those again.
            try gateway.append(512, payloadSize: 48)
            try gateway.seal()
            try #require(await collector.pullOnce().outcome == .verified)
            #expect(collector.entryEstimateOfLastPull.withLock { $0 } == GatewayCollector.initialEntryEstimate)
            await collector.shutdown()
        }
    }
}

import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

/// The reference collector acknowledges with a proof of possession computed from its own
/// store, against the agent's real HTTP API (issue 11, finding 4).
@Suite("Acknowledgement with proof of possession")
struct AckPossessionTests {
    @Test("the real collector's answer is accepted and the gateway's retention then prunes what it holds")
    func collectorAnswerAcceptedAndRetentionPrunes() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(1500)
        let store = try CollectorStore(path: dir.file("upstream.db"), durability: .process)
        try await LedgerAPICollectorTests.withAgentAPI(gateway) { port in
            let collector = try await CollectorTests.collector(gateway, port: port, store: store)
            let report = await collector.pullOnce()
            #expect(report.outcome == .verified)
            #expect(report.ackedSize == 1500)
            await collector.shutdown()
        }
        #expect(try gateway.store.reader.fetchedBelow(upstream: "dc-1") == 1500)
        #expect(try gateway.store.upstream(named: "dc-1")?.ackedSize == 1500)
        let pruned = try gateway.store.prune(requiredUpstreams: ["dc-1"], minAge: .zero, now: .max)
        #expect(pruned.prunedEntries == 1500)
    }

    @Test("when the gateway recorded fewer fetched entries (a restart mid-catch-up), the collector fetches them again")
    func collectorRefetchesWhatTheGatewayDidNotRecord() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(1000)
        let store = try CollectorStore(path: dir.file("upstream.db"), durability: .process)
        try await LedgerAPICollectorTests.withAgentAPI(gateway) { port in
            let collector = try await CollectorTests.collector(gateway, port: port, store: store)
            #expect(await collector.pullOnce().ackedSize == 1000)
            await collector.shutdown()
        }
        // The gateway lost what it knew past entry 256 (bundles served out of order before a crash).
        try RawSQL.execute(gateway.path, "UPDATE upstream_fetches SET fetched_below = 256")
        try gateway.grow(300)
        try await LedgerAPICollectorTests.withAgentAPI(gateway) { port in
            let collector = try await CollectorTests.collector(gateway, port: port, store: store)
            let report = await collector.pullOnce()
            #expect(report.outcome == .verified)
            #expect(report.fetchedEntries == 300, "only the new entries are collected")
            #expect(report.ackedSize == 1300)
            await collector.shutdown()
        }
        #expect(try gateway.store.reader.fetchedBelow(upstream: "dc-1") == 1300)
        #expect(try gateway.store.upstream(named: "dc-1")?.ackedSize == 1300)
    }

    @Test("a collector that lost a stored entry cannot acknowledge; nothing is recorded at the gateway")
    func lostEntryCannotProve() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(300)
        let store = try CollectorStore(path: dir.file("upstream.db"), durability: .process)
        try await LedgerAPICollectorTests.withAgentAPI(gateway) { port in
            // First pull without acknowledging, then lose the stored entries (an upstream bug).
            var configuration = gateway.gatewayConfiguration(url: "http://127.0.0.1:\(port)")
            configuration.acknowledge = false
            let silent = try GatewayCollector(
                gateway: configuration, store: store, logger: testLogger("test.collector", level: .critical))
            #expect(await silent.pullOnce().outcome == .verified)
            await silent.shutdown()
            try RawSQL.execute(try #require(store.path), "DELETE FROM bundles")
            let collector = try await CollectorTests.collector(gateway, port: port, store: store)
            let report = await collector.pullOnce()
            #expect(report.ackedSize == 0)
            await collector.shutdown()
        }
        #expect(try gateway.store.upstream(named: "dc-1") == nil)
        #expect(try gateway.store.prune(requiredUpstreams: ["dc-1"], minAge: .zero, now: .max).prunedEntries == 0)
    }
}

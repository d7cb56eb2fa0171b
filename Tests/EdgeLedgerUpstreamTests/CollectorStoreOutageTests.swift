import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerUpstream

/// The upstream's own PostgreSQL database going away under a running collector (found by
/// scripts/faults/postgres-restart.sh).
@Suite("Collector: its database restarts")
struct CollectorStoreOutageTests {
    @Test("a pull that finds the database away is retried at the next pull_interval, not after backoff.max")
    func retriedAtTheNextPull() async throws {
        let cluster = try PostgresCluster()
        let store = try CollectorStore(postgresURL: try cluster.createDatabase("outage"), connections: 2, migrate: true)
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(300)
        let server = try TestTileServer(gateway: gateway)
        cluster.stop()
        try await withServer(server.router) { port in
            var settings = gateway.gatewayConfiguration(url: "http://127.0.0.1:\(port)")
            settings.backoff = BackoffConfiguration(initial: .seconds(1), max: .seconds(300))  // the defaults
            let collector = try GatewayCollector(
                gateway: settings, store: store, logger: testLogger("test.collector", level: .critical))
            let running = Task { try await collector.run() }
            // The first pull fails: the database is away.
            let failed = await poll(seconds: 10) {
                collector.memory.withLock { $0.problem?.hasPrefix("failed: ") ?? false }
            }
            #expect(failed, "the first pull did not fail with the database away")
            try cluster.start()
            // Collected within a few pull intervals (1 s) of the database's return.
            let collected = await poll(seconds: 10) {
                (try? await store.gatewayState(origin: gateway.origin))?.verifiedSize == 300
            }
            #expect(collected, "nothing collected within 10 s of the database's return")
            running.cancel()
            _ = await running.result
        }
        await store.close()
    }

    /// Polls `condition` every 50 ms for at most `seconds`.
    private func poll(seconds: Int, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}

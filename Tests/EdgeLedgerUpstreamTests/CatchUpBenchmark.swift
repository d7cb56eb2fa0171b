import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerUpstream

/// Catch-up throughput of the collector over loopback (fetch + verify + store), against the
/// agent's HTTP API. Runs only with `EDGE_LEDGER_CATCHUP_BENCH=<entries>` (e.g. 1000000):
///
///     EDGE_LEDGER_CATCHUP_BENCH=1000000 swift test --scratch-path .build-net -c release \
///         -Xswiftc -enable-testing --filter CatchUpBenchmark
///
/// The gateway side is the agent's `LedgerAPIService` (set `EDGE_LEDGER_CATCHUP_SERVER=test` for
/// the minimal test tile server); `EDGE_LEDGER_CATCHUP_PARALLEL` sets the bundles fetched at once.
@Suite("Catch-up benchmark")
struct CatchUpBenchmark {
    static var entries: Int? {
        ProcessInfo.processInfo.environment["EDGE_LEDGER_CATCHUP_BENCH"].flatMap { Int($0) }
    }

    @Test("catch-up of a backlog over loopback", .enabled(if: entries != nil))
    func catchUp() async throws {
        let count = Self.entries ?? 0
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let prepared = ContinuousClock.now
        try gateway.append(count, payloadSize: 64, batch: 50_000)
        let checkpoint = try gateway.seal()
        print("bench: gateway prepared \(count) entries in \(ContinuousClock.now - prepared)")
        let store = try CollectorStore(path: dir.file("upstream.db"), durability: .process)
        let environment = ProcessInfo.processInfo.environment
        let parallel = environment["EDGE_LEDGER_CATCHUP_PARALLEL"].flatMap { Int($0) } ?? 8
        let useTestServer = environment["EDGE_LEDGER_CATCHUP_SERVER"] == "test"
        let pull: @Sendable (Int) async throws -> PullReport = { port in
            let collector = try GatewayCollector(
                gateway: gateway.gatewayConfiguration(url: "http://127.0.0.1:\(port)"), store: store,
                parallelFetches: parallel, batchBundles: 16, logger: testLogger("bench.collector", level: .error))
            let report = await collector.pullOnce()
            await collector.shutdown()
            return report
        }
        let report: PullReport
        if useTestServer {
            report = try await withServer(try TestTileServer(gateway: gateway).router, pull)
        } else {
            report = try await LedgerAPICollectorTests.withAgentAPI(gateway, pull)
        }
        #expect(report.outcome == .verified)
        #expect(report.verifiedSize == checkpoint.size)
        let seconds = Double(report.duration.components.seconds) + Double(report.duration.components.attoseconds) / 1e18
        let rate = Double(count) / seconds
        print(
            "bench: collector caught up \(count) entries in \(String(format: "%.2f", seconds)) s: \(Int(rate)) entries/s "
                + "(\(report.verifying) hashing, verifying and storing; "
                + "server: \(useTestServer ? "test tile server" : "LedgerAPIService"), \(parallel) bundles in parallel)"
        )
    }
}

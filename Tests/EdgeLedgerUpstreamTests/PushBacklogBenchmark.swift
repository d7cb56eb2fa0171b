import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerUpstream

/// A backlog pushed by the agent's pusher to the mirror over loopback: throughput, and the
/// process's resident memory sampled every 100 ms while it runs (gateway and upstream share the
/// process, so the upstream's caches are included). Runs only with
/// `EDGE_LEDGER_PUSH_BENCH=<entries>` (e.g. 1000000), into SQLite or, with
/// `EDGE_LEDGER_PUSH_BENCH_ENGINE=postgres`, PostgreSQL (the test cluster):
///
///     EDGE_LEDGER_PUSH_BENCH=1000000 swift test --filter PushBacklogBenchmark
@Suite("Push backlog benchmark")
struct PushBacklogBenchmark {
    static var entries: Int? {
        ProcessInfo.processInfo.environment["EDGE_LEDGER_PUSH_BENCH"].flatMap { Int($0) }
    }

    /// Resident set size of this process in MiB (`/proc/self/statm`).
    static func residentMiB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    @Test("push of a backlog: entries/s and resident memory", .enabled(if: entries != nil))
    func pushBacklog() async throws {
        let count = Self.entries ?? 0
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.append(count, payloadSize: 64, batch: 50_000)
        try gateway.seal()
        let engine: UpstreamEngine =
            ProcessInfo.processInfo.environment["EDGE_LEDGER_PUSH_BENCH_ENGINE"] == "postgres" ? .postgres : .sqlite
        let m = try MirrorFixture(dir: dir, gateways: [gateway], engine: engine)
        let before = Self.residentMiB()
        let started = ContinuousClock.now
        let (result, peak) = try await withServer(m.router) { port in
            let pusher = try MirrorPushTests.pusher(gateway, m, port: port)
            let sampler = Task { () -> Double in
                var peak = before
                while !Task.isCancelled {
                    peak = max(peak, Self.residentMiB())
                    try? await Task.sleep(for: .milliseconds(100))
                }
                return peak
            }
            let result = await pusher.pushOnce()
            sampler.cancel()
            await pusher.shutdown()
            return (result, await sampler.value)
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        #expect(result == ["dc-1": "ok"])
        #expect(try gateway.store.upstream(named: "dc-1")?.ackedSize == UInt64(count))
        print(
            "bench: pushed \(count) entries (\(engine)) in \(String(format: "%.1f", seconds)) s (\(Int(Double(count) / seconds)) "
                + "entries/s); RSS before \(String(format: "%.1f", before)) MiB, peak "
                + "\(String(format: "%.1f", peak)) MiB, after \(String(format: "%.1f", Self.residentMiB())) MiB")
    }
}

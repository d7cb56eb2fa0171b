import Dispatch
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Synchronization
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

/// `GET /readyz` on the reference upstream: ready while its store answers, whatever the gateways
/// do; not ready, with the reason, when the store fails or a read hangs; ready again after.
@Suite struct UpstreamReadinessTests {
    /// GETs `/readyz` until `accept` holds for the answer (at most 60 s); the last answer.
    static func readyz(port: Int, until accept: (Int, String) -> Bool) async -> (Int, String) {
        var answer = (0, "")
        let deadline = ContinuousClock.now + .seconds(60)
        repeat {
            answer = await UpstreamMetricsTests.get(port: port, "readyz")
            if accept(answer.0, answer.1) { return answer }
            try? await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < deadline
        return answer
    }

    @Test("ready with an unreachable gateway; 503 naming the store while it fails; ready again after")
    func readinessFollowsTheStore() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let unreachable = try FreePort.find()  // nothing listens there
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let configuration = try await UpstreamNodeTests.configuration(
            dir: dir, gateway: gateway, gatewayPort: unreachable, port: 0, anchorOut: dir.file("unused"))
        let node = try UpstreamNode.make(
            configuration: configuration, logger: testLogger("test.node"), onServerRunning: { continuation.yield($0) })
        try await UpstreamMetricsTests.running(node, ports: ports) { port in
            var answer = await Self.readyz(port: port) { status, _ in status == 200 }
            #expect(answer == (200, "ready\n"))

            // Damage the store under the running node: its reads fail.
            let path = configuration.storage.path
            try RawSQL.execute(path, "ALTER TABLE gateways RENAME TO gateways_away")
            await node.readiness.probeOnce()
            answer = await Self.readyz(port: port) { status, _ in status == 503 }
            #expect(answer.0 == 503)
            #expect(answer.1.hasPrefix("not ready\nstore not usable: "), "\(answer.1)")
            #expect(answer.1.contains("gateways"), "the store's error names what failed: \(answer.1)")
            #expect(await UpstreamMetricsTests.get(port: port, "healthz") == (200, "ok\n"))

            try RawSQL.execute(path, "ALTER TABLE gateways_away RENAME TO gateways")
            await node.readiness.probeOnce()
            answer = await Self.readyz(port: port) { status, _ in status == 200 }
            #expect(answer == (200, "ready\n"))
        }
    }

    @Test("a read that hangs longer than three probe intervals is not ready; a late probe is")
    func hangingReadIsNotReady() async throws {
        let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let calls = Mutex(0)
        let readiness = UpstreamReadiness(interval: .seconds(2)) {
            // The first read answers; the next one hangs until the gate opens.
            if calls.withLock({
                $0 += 1; return $0
            }) > 1 {
                await withCheckedContinuation { continuation in gate.withLock { $0 = continuation } }
            }
            return []
        }
        #expect(!readiness.readiness(at: .now).isReady, "not ready before the first read")
        await readiness.probeOnce()
        #expect(readiness.readiness(at: .now).isReady)
        #expect(readiness.readiness(at: .now + .seconds(60)).isReady, "no read under way: late, not stuck")

        let probing = Task { await readiness.probeOnce() }
        #expect(Eventually.holds(timeout: 30) { gate.withLock { $0 != nil } })
        #expect(readiness.readiness(at: .now).isReady, "a read under way for less than 6 s is fine")
        let stuck = readiness.readiness(at: .now + .seconds(7))
        #expect(!stuck.isReady)
        #expect(stuck.problems.first?.hasPrefix("store has not answered for ") == true, "\(stuck.problems)")

        gate.withLock { $0?.resume() }
        await probing.value
        #expect(readiness.readiness(at: .now + .seconds(60)).isReady)
    }

    @Test("a real store answers the probe")
    func realStore() async throws {
        let dir = try TemporaryFolder()
        let store = try CollectorStore(path: dir.file("upstream.db"), durability: .process)
        let readiness = UpstreamReadiness(store: store, interval: .seconds(2))
        await readiness.probeOnce()
        #expect(readiness.readiness(at: .now).isReady)
    }
}

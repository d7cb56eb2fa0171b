import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Synchronization
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

/// Claims never size allocations (issue 11 finding 8): a gateway that signs, with its real key,
/// a checkpoint claiming 2^32 entries.
@Suite("Claimed sizes: a signed size is a claim, not data", .serialized)
struct ClaimedSizeTests {
    /// The checkpoint `gateway` signs with its real key for a tree it does not hold.
    static func claim(_ gateway: GatewayFixture, size: UInt64) async throws -> [UInt8] {
        let text = Checkpoint(
            origin: gateway.origin, size: size, root: Hash32(bytes: [UInt8](repeating: 7, count: 32))!
        )
        .text
        return Array(try NoteSigning.sign(text: text, with: [gateway.signer]).serialized.utf8)
    }

    /// The resident set size of this process in KiB (Linux).
    static func residentKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ")[1]) ?? 0
        }
        return 0
    }

    /// Runs `body` while sampling the resident set size; returns its result and the largest
    /// growth seen, in MiB.
    /// The most the process's resident set may grow (MiB) while a claim of 2^32 entries is
    /// handled. Anything sized by the claim would take at least 2^32 × 32 B = 128 GiB of hashes;
    /// the bound is far below that but above what the suites running in parallel in this
    /// process allocate meanwhile (it measures the whole process: 64 MiB was once exceeded by
    /// 73 MiB with the push-window tests alongside, none of it the claim's).
    static let growthBound = 256

    static func peakGrowth<R: Sendable>(_ body: () async throws -> R) async rethrows -> (R, Int) {
        let base = residentKiB()
        let peak = Peak(base)
        let sampler = Task {
            while !Task.isCancelled {
                peak.note(residentKiB())
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        let result = try await body()
        sampler.cancel()
        _ = await sampler.value
        peak.note(residentKiB())
        return (result, (peak.largest - base) / 1024)
    }

    /// The largest resident set size seen, in KiB.
    final class Peak: Sendable {
        private let value: Mutex<Int>
        init(_ start: Int) { value = Mutex(start) }
        func note(_ kib: Int) { value.withLock { $0 = max($0, kib) } }
        var largest: Int { value.withLock { $0 } }
    }

    static func collector(
        _ gateway: GatewayFixture, port: Int, store: CollectorStore, maxGrowth: UInt64? = nil
    ) async throws -> GatewayCollector {
        var configuration = gateway.gatewayConfiguration(url: "http://127.0.0.1:\(port)")
        if let maxGrowth { configuration.maxGrowth = maxGrowth }
        return try GatewayCollector(
            gateway: configuration, store: store, parallelFetches: 4,
            logger: testLogger("test.collector", level: .critical))
    }

    @Test(
        "a checkpoint claiming 2^32 entries is refused at once; another gateway keeps being collected",
        arguments: UpstreamEngine.allCases)
    func absurdClaimRefused(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let liar = try GatewayFixture(dir: dir, origin: "test.example/liar", file: "liar.db")
        let honest = try GatewayFixture(dir: dir, origin: "test.example/honest", file: "honest.db")
        try liar.grow(300)
        try honest.grow(500)
        let claim = try await Self.claim(liar, size: 1 << 32)
        let liarServer = try TestTileServer(gateway: liar)
        liarServer.setTamper { path, bytes in path == "checkpoint" ? claim : bytes }
        let honestServer = try TestTileServer(gateway: honest)
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        try await withServer(liarServer.router) { liarPort in
            try await withServer(honestServer.router) { honestPort in
                let liarCollector = try await Self.collector(liar, port: liarPort, store: store)
                let honestCollector = try await Self.collector(honest, port: honestPort, store: store)
                let (report, growth) = await Self.peakGrowth { await liarCollector.pullOnce() }
                let honestReport = await honestCollector.pullOnce()
                await liarCollector.shutdown()
                await honestCollector.shutdown()
                let why = report.outcome.refusal ?? "\(report.outcome)"
                #expect(why.contains("absurd growth refused"), "\(why)")
                #expect(why.contains("max_growth"))
                #expect(growth < Self.growthBound, "resident set grew by \(growth) MiB")
                #expect(liarServer.requests.withLock { $0 } == 1)  // the checkpoint, nothing else
                #expect(honestReport.outcome == .verified)
            }
        }
        #expect(try await store.gatewayState(origin: honest.origin)?.verifiedSize == 500)
        #expect(try await store.gatewayState(origin: liar.origin)?.stagedSize == 0)
    }

    @Test(
        "with max_growth raised, memory follows the entries received, not the claimed 2^32",
        arguments: UpstreamEngine.allCases)
    func memoryFollowsData(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let liar = try GatewayFixture(dir: dir, origin: "test.example/liar", file: "liar.db")
        try liar.grow(600)
        let claim = try await Self.claim(liar, size: 1 << 32)
        let server = try TestTileServer(gateway: liar)
        server.setTamper { path, bytes in path == "checkpoint" ? claim : bytes }
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        try await withServer(server.router) { port in
            let collector = try await Self.collector(liar, port: port, store: store, maxGrowth: 1 << 40)
            let (report, growth) = await Self.peakGrowth { await collector.pullOnce() }
            await collector.shutdown()
            switch report.outcome {
            case .refused, .rejected: break
            default: Issue.record("a claim the gateway cannot back was not refused: \(report.outcome)")
            }
            #expect(growth < Self.growthBound, "resident set grew by \(growth) MiB")
            #expect(try await store.gatewayState(origin: liar.origin)?.verifiedSize == 0)
        }
    }

    @Test(
        "the witness cosigns nothing before the collector verified some of the log, then within max_growth of it",
        arguments: UpstreamEngine.allCases)
    func witnessFirstCheckpointBounded(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(300)
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let witness = try await SplitViewTests.witness(gateway, store: store)
        let absurd = await witness.addCheckpoint(
            body: Array(
                WitnessRequest.body(
                    oldSize: 0, proof: [], note: String(decoding: try Self.claim(gateway, size: 1 << 32), as: UTF8.self)
                ).utf8))
        #expect(absurd.outcome == .notCollected)
        #expect(absurd.status == 503)
        let real = try #require(try gateway.store.latestCheckpoint())
        await #expect(SplitViewTests.push(witness, real.note).outcome == .notCollected)
        #expect(try await store.witnessState(origin: gateway.origin) == nil)
        let server = try TestTileServer(gateway: gateway)
        try await withServer(server.router) { port in
            let collector = try await Self.collector(gateway, port: port, store: store)
            #expect(await collector.pullOnce().outcome == .verified)
            await collector.shutdown()
        }
        // Collected: the claim still is not cosigned (beyond max_growth); a first checkpoint newer
        // than the one collected (a busy gateway seals every second) is.
        let stillAbsurd = await witness.addCheckpoint(
            body: Array(
                WitnessRequest.body(
                    oldSize: 0, proof: [], note: String(decoding: try Self.claim(gateway, size: 1 << 32), as: UTF8.self)
                ).utf8))
        #expect(stillAbsurd.outcome == .notCollected)
        let newer = try gateway.grow(40)
        await #expect(SplitViewTests.push(witness, newer.note).outcome == .cosigned)
        #expect(try await store.witnessState(origin: gateway.origin)?.size == 340)
    }

    @Test(
        "later checkpoints are cosigned at most max_growth beyond the collected size",
        arguments: UpstreamEngine.allCases)
    func witnessGrowthBounded(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(300)
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let cosigner = try CosignatureV1Signer(name: "witness.example/w1", privateKey: PrivateKey.generate(.ed25519))
        let witness = Witness(
            cosigner: cosigner,
            logs: [
                WitnessedLog(
                    origin: gateway.origin, verifiers: [try NoteKeys.verifier(from: gateway.verifierKey)],
                    hasher: OpenSSLHasher.sha256, maxGrowth: 1000)
            ], store: store)
        let server = try TestTileServer(gateway: gateway)
        let collect = { () async throws -> Void in
            try await withServer(server.router) { port in
                let collector = try await Self.collector(gateway, port: port, store: store)
                #expect(await collector.pullOnce().outcome == .verified)
                await collector.shutdown()
            }
        }
        try await collect()
        await #expect(
            SplitViewTests.push(witness, try #require(try gateway.store.latestCheckpoint()).note).outcome == .cosigned)
        try gateway.grow(5000)  // real entries, not collected yet: 5000 > max_growth beyond 300
        let far = try #require(try gateway.store.latestCheckpoint())
        let proof = try gateway.store.consistencyProof(from: 300, to: far.size)
        await #expect(SplitViewTests.push(witness, far.note, oldSize: 300, proof: proof).outcome == .notCollected)
        #expect(try await store.witnessState(origin: gateway.origin)?.size == 300)
        try await collect()
        await #expect(SplitViewTests.push(witness, far.note, oldSize: 300, proof: proof).outcome == .cosigned)
    }
}

import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Prometheus
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

@Suite("Anchoring hook")
struct AnchorTests {
    /// A shell script that appends its stdin and a newline to the file named by its argument.
    static func script(in dir: TemporaryFolder) async throws -> String {
        let path = dir.file("anchor.sh")
        try "#!/bin/sh\ncat >> \"$1\"\nprintf '\\n' >> \"$1\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test(
        "each verified checkpoint reaches the command as a ChainMaker evidence document",
        arguments: UpstreamEngine.allCases)
    func documents(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let w = try WitnessFixture(dir: dir, gateways: [gateway])
        let first = try gateway.grow(300)
        // The witness cosigned the first checkpoint; the gateway serves its line with it.
        let answer = await w.witness.addCheckpoint(
            body: Array(WitnessRequest.body(oldSize: 0, proof: [], note: first.note).utf8))
        #expect(answer.status == 200)
        try gateway.store.addCosignature(
            Cosignature(
                checkpointSize: 300, witness: w.witness.name, line: String(answer.body.dropLast()), receivedAt: 0))
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "upstream.db")
        let out = dir.file("anchored.jsonl")
        let anchorer = await Anchorer(
            configuration: AnchorConfiguration(command: [try Self.script(in: dir), out], timeout: .seconds(10)),
            store: store, logger: testLogger("test.anchor"))
        let server = try TestTileServer(gateway: gateway)
        try await withServer(server.router) { port in
            let collector = try await CollectorTests.collector(
                gateway, port: port, store: store, anchoring: true, cosigners: [w.verifier])
            #expect(await collector.pullOnce().outcome == .verified)
            try gateway.grow(50)
            #expect(await collector.pullOnce().outcome == .verified)
            await collector.shutdown()
        }
        #expect(await anchorer.runDueJobs() == 2)
        #expect(await anchorer.runDueJobs() == 0)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let checkpoints = [first, try #require(try gateway.store.latestCheckpoint())]
        for (line, checkpoint) in zip(lines, checkpoints) {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(json["id"] as? String == "\(gateway.origin)#\(checkpoint.size)")
            #expect(json["hash"] as? String == checkpoint.root.hex)
            let metadata = try #require(json["metadata"] as? [String: Any])
            #expect(metadata["origin"] as? String == gateway.origin)
            #expect((metadata["size"] as? NSNumber)?.uint64Value == checkpoint.size)
            #expect(metadata["hash_algorithm"] as? String == "sha256")
            let note = try #require(metadata["checkpoint"] as? String)
            #expect(
                note.hasPrefix(Checkpoint(origin: gateway.origin, size: checkpoint.size, root: checkpoint.root).text))
            _ = try Note(parsing: note)
            let cosigners = try #require(metadata["cosigners"] as? [String])
            #expect(cosigners == (checkpoint.size == 300 ? [w.witness.name] : []))
        }
        #expect(try await store.anchorJobs().allSatisfy { $0.doneAt != nil })
    }

    /// An upstream store in `dir` that verified a 10-entry checkpoint of `gateway` and queued
    /// its anchoring job.
    static func storeWithOneJob(dir: TemporaryFolder, gateway: GatewayFixture) async throws -> CollectorStore {
        try gateway.grow(10)
        let store = try CollectorStore(path: dir.file("upstream.db"), durability: .process)
        let server = try TestTileServer(gateway: gateway)
        try await withServer(server.router) { port in
            let collector = try await CollectorTests.collector(gateway, port: port, store: store, anchoring: true)
            #expect(await collector.pullOnce().outcome == .verified)
            await collector.shutdown()
        }
        return store
    }

    @Test("a failing or hanging command is retried later from the durable queue")
    func retries() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let store = try await Self.storeWithOneJob(dir: dir, gateway: gateway)
        let failing = Anchorer(
            configuration: AnchorConfiguration(
                command: ["/bin/sh", "-c", "cat >/dev/null; echo boom >&2; exit 4"], timeout: .seconds(10),
                retry: BackoffConfiguration(initial: .milliseconds(100), max: .seconds(1))),
            store: store, logger: testLogger("test.anchor", level: .critical))
        let beforeFailure = SystemClock.nowNanoseconds()
        #expect(await failing.runDueJobs() == 0)
        var job = try #require(try await store.anchorJobs().first)
        #expect(job.attempts == 1)
        #expect(job.doneAt == nil)
        #expect(job.lastError?.contains("status 4") == true)
        #expect(job.lastError?.contains("boom") == true)
        // Backed off: at least half the initial 100 ms after the failure (not "later than now",
        // which a loaded machine can outrun).
        #expect(job.nextAttemptAt >= beforeFailure + 50_000_000)

        let hanging = Anchorer(
            configuration: AnchorConfiguration(
                command: ["/bin/sh", "-c", "sleep 30"], timeout: .seconds(1),
                retry: BackoffConfiguration(initial: .milliseconds(10), max: .milliseconds(10))),
            store: store, logger: testLogger("test.anchor", level: .critical))
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        #expect(await hanging.runDueJobs() == 0)
        // Cut off at the 1 s timeout, not after the command's 30 s (loose: a loaded machine is slow).
        #expect(ContinuousClock.now - started < .seconds(20))
        job = try #require(try await store.anchorJobs().first)
        #expect(job.attempts == 2)
        #expect(job.lastError?.contains("timed out") == true)

        let out = dir.file("out.json")
        let working = await Anchorer(
            configuration: AnchorConfiguration(command: [try Self.script(in: dir), out]), store: store,
            logger: testLogger("test.anchor"))
        try await Task.sleep(for: .milliseconds(50))
        #expect(await working.runDueJobs() == 1)
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("\"id\":\"\(gateway.origin)#10\""))
    }

    @Test("an attempt that landed but timed out is retried with the same id; 'already anchored' is success")
    func alreadyAnchoredIsSuccess() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let store = try await Self.storeWithOneJob(dir: dir, gateway: gateway)
        // A stand-in for ChainMaker's evidence contract: one line "id hash" per anchored id; a
        // duplicate id is refused. The first attempt lands, then hangs past the timeout.
        let chain = dir.file("chain.txt")
        let hook = """
            cat >/dev/null
            line="$EDGE_LEDGER_ANCHOR_ID $EDGE_LEDGER_ANCHOR_HASH"
            if grep -q "^$EDGE_LEDGER_ANCHOR_ID " "$1" 2>/dev/null; then
                grep -qx "$line" "$1" && exit 3
                echo "id anchored with another hash" >&2; exit 5
            fi
            echo "$line" >> "$1"
            [ "$EDGE_LEDGER_ANCHOR_ATTEMPT" = 1 ] && sleep 30
            exit 0
            """
        let registry = PrometheusCollectorRegistry()
        let metrics = UpstreamMetrics(
            gateways: [gateway.origin], witnessOutcomes: [], factory: PrometheusMetricsFactory(registry: registry))
        let anchorer = Anchorer(
            configuration: AnchorConfiguration(
                command: ["/bin/sh", "-c", hook, "hook", chain], timeout: .seconds(1),
                retry: BackoffConfiguration(initial: .milliseconds(10), max: .milliseconds(10))),
            store: store, logger: testLogger("test.anchor", level: .critical), metrics: metrics)
        #expect(await anchorer.runDueJobs() == 0, "killed by its timeout after landing")
        var job = try #require(try await store.anchorJobs().first)
        #expect(job.attempts == 1 && job.doneAt == nil)
        try await Task.sleep(for: .milliseconds(50))
        #expect(await anchorer.runDueJobs() == 1, "the retry finds the same id with the same hash")
        job = try #require(try await store.anchorJobs().first)
        #expect(job.doneAt != nil)
        let root = try #require(job.root)
        #expect(try String(contentsOfFile: chain, encoding: .utf8) == "\(gateway.origin)#10 \(root.hex)\n")
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        let text = String(decoding: buffer, as: UTF8.self)
        #expect(PrometheusText.value(text, "edge_ledger_anchor_already_anchored_total") == 1, "\(text)")
        #expect(PrometheusText.value(text, "edge_ledger_anchor_completed_total") == 1)
        #expect(PrometheusText.value(text, "edge_ledger_anchor_failures_total") == 1)
    }

    @Test("JSON strings are escaped")
    func jsonEscaping() {
        #expect(JSONWriter.string("a\"b\\c\nd\u{1}é") == "\"a\\\"b\\\\c\\nd\\u0001é\"")
    }
}

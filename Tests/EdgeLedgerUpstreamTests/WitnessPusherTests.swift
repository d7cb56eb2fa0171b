import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Hummingbird
import Synchronization
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

@Suite("Witness pusher (agent side)")
struct WitnessPusherTests {
    /// The witness routes, counting add-checkpoint requests and their old sizes.
    static func countingRouter(_ w: WitnessFixture, requests: OldSizes) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("add-checkpoint") { request, _ -> Response in
            var request = request
            let body = Array(buffer: try await request.collectBody(upTo: 1 << 16))
            if let parsed = try? WitnessRequest(parsing: body) { requests.sizes.withLock { $0.append(parsed.oldSize) } }
            let result = await w.witness.addCheckpoint(body: body)
            return Response(
                status: .init(code: result.status), headers: [.contentType: result.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(string: result.body)))
        }
        return router
    }

    static func upstream(port: Int, verifierKey: String?) -> UpstreamPeerConfiguration {
        UpstreamPeerConfiguration(
            name: "dc-1", url: "http://127.0.0.1:\(port)", witness: true, verifierKey: verifierKey,
            timeout: .seconds(5), backoff: BackoffConfiguration(initial: .milliseconds(50), max: .milliseconds(300)))
    }

    /// Waits until `condition` holds, up to `seconds`.
    static func eventually(_ seconds: Double = 20, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    @Test("catches up with one request after the witness was down, and stores a cosignature that verifies")
    func catchUpWithOneRequest() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let w = try WitnessFixture(dir: dir, gateways: [gateway])
        let port = try FreePort.find()
        let pusher = try WitnessPusher(
            store: gateway.store, upstreams: [Self.upstream(port: port, verifierKey: w.witness.verifierKey.string)],
            pollInterval: .milliseconds(50), logger: testLogger("test.push", level: .critical))
        let requests = OldSizes()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pusher.run() }
            // The witness is down while five checkpoints are sealed.
            for _ in 0..<5 {
                try gateway.grow(13)
                pusher.nudge()
                try await Task.sleep(for: .milliseconds(60))
            }
            let down = try #require(try gateway.store.upstream(named: "dc-1"))
            #expect(down.consecutiveFailures > 0)
            #expect(down.lastPushResult?.isEmpty == false)
            #expect(down.lastPushedSize == 0)
            try await withServer(Self.countingRouter(w, requests: requests), port: port) { _ in
                let caughtUp = try await Self.eventually {
                    try gateway.store.upstream(named: "dc-1")?.lastPushedSize == 65
                }
                #expect(caughtUp)
            }
            group.cancelAll()
        }
        // One request caught up: old size 0, the latest checkpoint.
        #expect(requests.sizes.withLock { $0 } == [0])
        let state = try #require(try gateway.store.upstream(named: "dc-1"))
        #expect(state.lastPushResult == "ok")
        #expect(state.consecutiveFailures == 0)
        let cosignatures = try gateway.store.reader.cosignatures(checkpointSize: 65)
        #expect(cosignatures.count == 1)
        let latest = try #require(try gateway.store.latestCheckpoint())
        let note = Note(
            text: try Note(parsing: latest.note).text,
            signatures: [try NoteSignature(parsingLine: cosignatures[0].line)])
        #expect(try NoteSigning.open(note, verifiers: [w.verifier]).count == 1)
        #expect(try await w.store.witnessState(origin: gateway.origin)?.size == 65)
    }

    @Test("a new checkpoint is pushed with a consistency proof from the witness's size")
    func incremental() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let w = try WitnessFixture(dir: dir, gateways: [gateway])
        let requests = OldSizes()
        try await withServer(Self.countingRouter(w, requests: requests)) { port in
            let pusher = try WitnessPusher(
                store: gateway.store, upstreams: [Self.upstream(port: port, verifierKey: w.witness.verifierKey.string)],
                logger: testLogger("test.push"))
            try gateway.grow(100)
            #expect(await pusher.pushOnce() == ["dc-1": "ok"])
            try gateway.grow(300)
            #expect(await pusher.pushOnce() == ["dc-1": "ok"])
            #expect(await pusher.pushOnce() == ["dc-1": "idle"])
            await pusher.shutdown()
        }
        #expect(requests.sizes.withLock { $0 } == [0, 100])
        #expect(try gateway.store.reader.cosignatures(checkpointSize: 100).count == 1)
        #expect(try gateway.store.reader.cosignatures(checkpointSize: 400).count == 1)
    }

    @Test("409: adopts the witness's size and retries at once")
    func adoptsWitnessSize() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let w = try WitnessFixture(dir: dir, gateways: [gateway])
        let first = try gateway.grow(40)
        // Someone else already gave the witness size 40.
        #expect(
            await w.witness.addCheckpoint(
                body: Array(WitnessRequest.body(oldSize: 0, proof: [], note: first.note).utf8)
            )
            .status == 200)
        try gateway.grow(24)
        let requests = OldSizes()
        try await withServer(Self.countingRouter(w, requests: requests)) { port in
            let pusher = try WitnessPusher(
                store: gateway.store, upstreams: [Self.upstream(port: port, verifierKey: nil)],
                logger: testLogger("test.push"))
            #expect(await pusher.pushOnce() == ["dc-1": "ok"])
            await pusher.shutdown()
        }
        #expect(requests.sizes.withLock { $0 } == [0, 40])
        #expect(try gateway.store.upstream(named: "dc-1")?.lastPushedSize == 64)
        #expect(try await w.store.witnessState(origin: gateway.origin)?.size == 64)
    }

    @Test("404 from a witness that does not know the log is a configuration error, recorded, not retried at once")
    func configurationError() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let stranger = try GatewayFixture(dir: dir, origin: "test.example/other", file: "other.db")
        let w = try WitnessFixture(dir: dir, gateways: [stranger])
        try gateway.grow(5)
        let requests = OldSizes()
        try await withServer(Self.countingRouter(w, requests: requests)) { port in
            var upstream = Self.upstream(port: port, verifierKey: nil)
            upstream.backoff = BackoffConfiguration(initial: .milliseconds(50), max: .seconds(30))
            let pusher = try WitnessPusher(
                store: gateway.store, upstreams: [upstream], pollInterval: .milliseconds(20),
                logger: testLogger("test.push", level: .critical))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pusher.run() }
                // Wait for the first attempt (a loaded machine may take a while), then a little
                // longer to see that no second one follows.
                let deadline = ContinuousClock.now + .seconds(30)
                while requests.sizes.withLock({ $0.count }) == 0 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(500))
                group.cancelAll()
            }
        }
        // One attempt; the next would be after backoff.max (30 s).
        #expect(requests.sizes.withLock { $0.count } == 1)
        let state = try #require(try gateway.store.upstream(named: "dc-1"))
        #expect(state.lastPushResult?.contains("HTTP 404") == true)
        #expect(state.consecutiveFailures == 1)
        let next = try #require(state.nextAttemptAt)
        #expect(next - (state.lastPushAt ?? 0) >= 29_000_000_000)
    }

    @Test("a cosignature that does not verify with verifier_key is not stored")
    func wrongWitnessKey() async throws {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let w = try WitnessFixture(dir: dir, gateways: [gateway])
        let impostor = try CosignatureV1Signer(name: w.witness.name, privateKey: PrivateKey.generate(.ed25519))
        try gateway.grow(8)
        let requests = OldSizes()
        try await withServer(Self.countingRouter(w, requests: requests)) { port in
            let pusher = try WitnessPusher(
                store: gateway.store, upstreams: [Self.upstream(port: port, verifierKey: impostor.verifierKey.string)],
                logger: testLogger("test.push", level: .critical))
            let result = await pusher.pushOnce()
            #expect(result["dc-1"]?.contains("does not verify") == true)
            await pusher.shutdown()
        }
        #expect(try gateway.store.reader.cosignatures(checkpointSize: 8).isEmpty)
    }

    @Test(
        "a witness that answers garbage is a failed push: recorded, retried with backoff, nothing stored",
        arguments: [
            (200, "binary junk"), (200, "empty body"), (200, "60 KB of signature-like lines"), (409, "not a number"),
            (500, "an HTML error page"),
        ])
    func garbageAnswers(status: Int, answer: String) async throws {
        let body =
            switch answer {
            case "binary junk": "\u{0}\u{ff}garbage\n— \n"
            case "empty body": ""
            case "60 KB of signature-like lines": String(repeating: "— x y\n", count: 10_000)
            case "not a number": "not a number\n"
            default: "<html>oops</html>"
            }
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        let witnessKey = try CosignatureV1Signer(name: "witness.example/w1", privateKey: PrivateKey.generate(.ed25519))
            .verifierKey.string
        try gateway.grow(8)
        let router = Router()
        router.post("add-checkpoint") { _, _ -> Response in
            Response(
                status: .init(code: status), headers: [.contentType: "text/plain"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        try await withServer(router) { port in
            let pusher = try WitnessPusher(
                store: gateway.store, upstreams: [Self.upstream(port: port, verifierKey: witnessKey)],
                logger: testLogger("test.push", level: .critical))
            let result = await pusher.pushOnce()
            #expect(result["dc-1"] != nil && result["dc-1"] != "ok", "\(String(describing: result["dc-1"]))")
            await pusher.shutdown()
        }
        #expect(try gateway.store.reader.cosignatures(checkpointSize: 8).isEmpty)
        let state = try #require(try gateway.store.upstream(named: "dc-1"))
        #expect(state.consecutiveFailures == 1)
        #expect(state.nextAttemptAt != nil)
    }
}

/// The old sizes of the add-checkpoint requests a witness received.
final class OldSizes: Sendable {
    let sizes = Mutex<[UInt64]>([])
}

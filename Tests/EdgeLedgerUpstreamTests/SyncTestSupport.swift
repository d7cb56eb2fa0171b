import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

/// A quiet logger for the services under test; refusals and errors still show.
func testLogger(_ label: String, level: Logger.Level = .error) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = level
    return logger
}

/// A gateway ledger with an Ed25519 key, as the agent would make it.
final class GatewayFixture: @unchecked Sendable {
    let origin: String
    let store: LedgerStore
    let key: PrivateKey
    let signer: any NoteSigner
    let path: String
    private var counter = 0

    init(
        dir: TemporaryFolder, origin: String = "test.example/gw-1", file: String = "gateway.db", key: PrivateKey? = nil
    )
        throws
    {
        self.origin = origin
        self.path = dir.file(file)
        self.store = try LedgerStore(path: path, hasher: OpenSSLHasher.sha256, origin: origin)
        self.key = try key ?? PrivateKey.generate(.ed25519)
        self.signer = NoteKeys.signer(for: self.key, name: origin)
    }

    /// The verifier key string (`origin+keyid+base64`).
    var verifierKey: String { NoteKeys.verifierKey(for: key, name: origin).string }

    /// Appends `count` readings with payloads of `payloadSize` bytes.
    func append(_ count: Int, payloadSize: Int = 48, batch: Int = 10_000) throws {
        var left = count
        while left > 0 {
            let n = min(left, batch)
            var readings: [ReadingInput] = []
            readings.reserveCapacity(n)
            for _ in 0..<n {
                counter += 1
                var payload = Array("{\"t\":\(counter),\"v\":".utf8)
                while payload.count < payloadSize - 1 { payload.append(UInt8(ascii: "7")) }
                payload.append(UInt8(ascii: "}"))
                readings.append(
                    ReadingInput(
                        receivedAt: 1_700_000_000_000_000_000 + Int64(counter), qos: 1,
                        topic: "plant/line-\(counter % 4)/temp", payload: payload))
            }
            try store.append(batch: readings)
            left -= n
        }
    }

    /// Seals what is pending and returns the stored checkpoint.
    @discardableResult
    func seal() throws -> CheckpointRecord {
        let signer = self.signer
        let origin = self.origin
        guard
            let result = try store.seal(sign: { request in
                try NoteSigning.sign(
                    text: Checkpoint(origin: origin, size: request.size, root: request.root).text, with: [signer]
                ).serialized
            })
        else { throw TestSupportError("nothing to seal") }
        return result.checkpoint
    }

    /// Appends and seals.
    @discardableResult
    func grow(_ count: Int) throws -> CheckpointRecord {
        try append(count)
        return try seal()
    }

    func gatewayConfiguration(
        url: String, token: String? = "collector-token", batch: Bool = true
    )
        -> GatewayConfiguration
    {
        GatewayConfiguration(
            origin: origin, url: url, verifierKeys: [verifierKey], token: token.map { ConfigSecret(value: $0) },
            pullInterval: .seconds(1), timeout: .seconds(10),
            backoff: BackoffConfiguration(initial: .milliseconds(50), max: .milliseconds(200)))
    }
}

/// A witness with its own key and store, knowing the given gateways.
struct WitnessFixture {
    let store: CollectorStore
    let witness: Witness
    let verifier: CosignatureV1Verifier

    init(
        dir: TemporaryFolder, gateways: [GatewayFixture], name: String = "witness.example/w1",
        file: String = "witness.db", engine: UpstreamEngine = .sqlite,
        maxGrowth: UInt64 = GatewayConfiguration.defaultMaxGrowth
    )
        throws
    {
        store = try UpstreamTestStores.make(engine, dir: dir, name: file)
        let cosigner = try CosignatureV1Signer(name: name, privateKey: PrivateKey.generate(.ed25519))
        let logs = try gateways.map { g in
            WitnessedLog(
                origin: g.origin, verifiers: [try NoteKeys.verifier(from: g.verifierKey)], hasher: OpenSSLHasher.sha256,
                clients: ["gw-1", "/O=Example/CN=gw-1"], maxGrowth: maxGrowth)
        }
        // No collector shares this store: a plain tlog-witness (first checkpoints of any size).
        witness = Witness(cosigner: cosigner, logs: logs, store: store, boundFirstByCollection: false)
        verifier = try CosignatureV1Verifier(verifierKey: cosigner.verifierKey)
    }
}

/// Runs `application` on 127.0.0.1 (port 0: any free port) while `body` runs with the bound port.
func withServer<Context: RequestContext, R: Sendable>(
    _ router: Router<Context>, port: Int = 0, _ body: @Sendable (Int) async throws -> R
) async throws -> R where Context: InitializableFromSource<ApplicationRequestContextSource> {
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let app = Application(
        router: router,
        configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port)),
        onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? port) },
        logger: testLogger("test.server", level: .critical))
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else { throw TestSupportError("server did not start") }
        do {
            let result = try await body(bound)
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// Runs one tile server per gateway on 127.0.0.1 while `body` runs with their ports, in order.
func withServers<R: Sendable>(
    _ servers: [TestTileServer], _ body: @Sendable ([Int]) async throws -> R
) async throws -> R {
    guard let first = servers.first else { return try await body([]) }
    let rest = Array(servers.dropFirst())
    return try await withServer(first.router) { port in
        try await withServers(rest) { ports in try await body([port] + ports) }
    }
}

/// A minimal C2SP tlog-tiles server over a gateway store, for the collector tests: it can
/// tamper with what it serves, and records acknowledgements (bearer token checked, proof of
/// possession checked with the gateway's `AckChallengeBook`).
final class TestTileServer: Sendable {
    let reader: LedgerReader
    let store: LedgerStore
    let token: String
    let tamper: Mutex<@Sendable (String, [UInt8]) -> [UInt8]>
    let acks = Mutex<[(size: UInt64, root: Hash32)]>([])
    let challenges = AckChallengeBook()
    let requests = Mutex<Int>(0)
    /// Runs (once) before the first entry bundle is served: what happens while a pull fetches.
    let beforeFirstBundle = Mutex<(@Sendable () async -> Void)?>(nil)
    /// How long to wait before serving entry bundles, by index (a gateway slow on one of them).
    let bundleDelays = Mutex<[UInt64: Duration]>([:])

    init(gateway: GatewayFixture, token: String = "collector-token") throws {
        self.reader = try LedgerReader(path: gateway.path, hasher: OpenSSLHasher.sha256)
        self.store = gateway.store
        self.token = token
        self.tamper = Mutex({ _, bytes in bytes })
    }

    func setTamper(_ f: @escaping @Sendable (String, [UInt8]) -> [UInt8]) {
        tamper.withLock { $0 = f }
    }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.get("checkpoint") { request, _ -> Response in
            self.requests.withLock { $0 += 1 }
            guard let record = try self.reader.latestCheckpoint() else { return Self.text(.notFound, "none\n") }
            var note = record.note
            for c in try self.reader.cosignatures(checkpointSize: record.size) { note += c.line + "\n" }
            return Self.bytes(self.tamper.withLock { $0 })("checkpoint", Array(note.utf8))
        }
        router.get("tile/**") { request, _ -> Response in
            self.requests.withLock { $0 += 1 }
            let path = String(request.uri.path.dropFirst())
            guard let id = try? TileID(parsingPath: path) else { return Self.text(.badRequest, "bad path\n") }
            let sealed = try self.reader.sealedSize()
            guard id.isContained(inTreeOfSize: sealed) else { return Self.text(.notFound, "beyond\n") }
            if id.isEntryBundle {
                let hook = self.beforeFirstBundle.withLock { h in
                    defer { h = nil }
                    return h
                }
                await hook?()
                if let delay = self.bundleDelays.withLock({ $0[id.index] }) { try await Task.sleep(for: delay) }
            }
            let data =
                id.isEntryBundle
                ? try self.reader.entryBundle(index: id.index, width: id.width)
                : try self.reader.tileData(level: id.level, index: id.index, width: id.width)
            guard let data else { return Self.text(.notFound, "missing\n") }
            return Self.bytes(self.tamper.withLock { $0 })(path, data)
        }
        router.post("ack/challenge") { request, _ -> Response in
            guard request.headers[.authorization] == "Bearer \(self.token)" else {
                return Self.text(.unauthorized, "token\n")
            }
            var request = request
            let body = try await request.collectBody(upTo: 4096)
            guard let json = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                let size = (json["size"] as? NSNumber)?.uint64Value
            else { return Self.text(.badRequest, "bad challenge request\n") }
            guard size <= (try self.reader.sealedSize()) else { return Self.text(.conflict, "beyond\n") }
            let challenge = try self.challenges.issue(
                upstream: "dc-1", size: size, reader: self.reader, hasher: OpenSSLHasher.sha256)
            return Self.text(.ok, challenge.json(lifetime: self.challenges.lifetime))
        }
        router.post("ack") { request, _ -> Response in
            guard request.headers[.authorization] == "Bearer \(self.token)" else {
                return Self.text(.unauthorized, "token\n")
            }
            var request = request
            let body = try await request.collectBody(upTo: 4096)
            guard let json = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                let size = (json["size"] as? NSNumber)?.uint64Value, let rootText = json["root"] as? String,
                let rootBytes = Base64.decode(rootText), let root = Hash32(bytes: rootBytes),
                let nonce = (json["challenge"] as? String).flatMap({ Base64.decode($0) }),
                let proof = (json["proof"] as? String).flatMap({ Base64.decode($0) }).flatMap({ Hash32(bytes: $0) })
            else { return Self.text(.badRequest, "bad ack\n") }
            guard let challenge = self.challenges.redeem(upstream: "dc-1", nonce: nonce), challenge.size == size,
                AckProof.matches(challenge.expected, proof)
            else { return Self.text(.conflict, "no proof of possession\n") }
            guard challenge.root == root else { return Self.text(.conflict, "fork\n") }
            self.acks.withLock { $0.append((size, root)) }
            try self.store.acknowledge(upstream: "dc-1", size: size, root: root)
            return Self.text(.ok, "{}")
        }
        return router
    }

    private static func bytes(
        _ tamper: @escaping @Sendable (String, [UInt8]) -> [UInt8]
    ) -> (String, [UInt8]) -> Response {
        { path, data in
            Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: tamper(path, data))))
        }
    }

    private static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

/// POSTs `body` to `http://127.0.0.1:<port>/<path>` and reads the answer.
func post(port: Int, _ path: String, body: String, token: String? = nil) async throws -> PeerHTTPResponse {
    let client = try PeerHTTPClient(baseURL: "http://127.0.0.1:\(port)", token: token, tls: nil, timeout: .seconds(10))
    do {
        let response = try await client.post(path, body: Array(body.utf8), contentType: "text/plain")
        await client.shutdown()
        return response
    } catch {
        await client.shutdown()
        throw error
    }
}

/// Pushes until every witness cosigned or `seconds` passed: the reference upstream's witness
/// cosigns a first checkpoint only once its collector has verified it (503 until then).
func pushUntilCosigned(_ pusher: WitnessPusher, seconds: Int = 30) async throws -> [String: String] {
    let deadline = ContinuousClock.now + .seconds(seconds)
    var answer = await pusher.pushOnce()
    while answer.values.contains(where: { $0 != "ok" }), ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(100))
        answer = await pusher.pushOnce()
    }
    return answer
}

extension PullReport.Outcome {
    /// The reason of a refusal, `nil` for any other outcome.
    var refusal: String? {
        if case .refused(let why) = self { return why }
        return nil
    }
}

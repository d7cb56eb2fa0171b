import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Hummingbird
import Logging
import Synchronization
import Testing

@testable import EdgeLedgerHTTP
@testable import EdgeLedgerUpstream

/// A witness and a mirror over one store, serving the witness and mirror routes; clients
/// authenticate with the tokens `gw-1` (allowed for `test.example/gw-1`) and `gw-2` (allowed for
/// no origin of the fixture's gateways).
struct MirrorFixture {
    let witness: WitnessFixture
    let mirror: Mirror
    let verifier: CosignatureV1Verifier
    var store: CollectorStore { witness.store }

    static let tokens = [
        HTTPTokenConfiguration(name: "gw-1", credential: .plaintext(ConfigSecret(value: "token-1"))),
        HTTPTokenConfiguration(name: "gw-2", credential: .plaintext(ConfigSecret(value: "token-2"))),
    ]

    /// Every answer of the mirror's routes, in the order they were given.
    let answers = MirrorAnswers()

    init(
        dir: TemporaryFolder, gateways: [GatewayFixture], engine: UpstreamEngine,
        limits: MirrorUploadDecoder.Limits = MirrorUploadDecoder.Limits(), maxRequestBytes: Int = 64 << 20,
        file: String = "witness.db", maxGrowth: UInt64 = GatewayConfiguration.defaultMaxGrowth,
        maxWaitingUploads: Int = 8
    ) throws {
        witness = try WitnessFixture(dir: dir, gateways: gateways, file: file, engine: engine, maxGrowth: maxGrowth)
        let cosigner = try CosignatureV1Signer(name: "mirror.example/m1", privateKey: PrivateKey.generate(.ed25519))
        mirror = Mirror(
            cosigner: cosigner, witness: witness.witness, store: witness.store, limits: limits,
            maxRequestBytes: maxRequestBytes, maxWaitingUploads: maxWaitingUploads)
        verifier = try CosignatureV1Verifier(verifierKey: cosigner.verifierKey)
    }

    var router: Router<LedgerRequestContext> {
        var http = UpstreamHTTPConfiguration()
        http.tokens = Self.tokens
        let answers = self.answers
        return WitnessAPI.router(
            prefix: "", witness: witness.witness,
            mirror: MirrorAPI.Endpoint(mirror: mirror, http: http) { answers.record($0, $1) },
            logger: testLogger("test.mirror", level: .critical))
    }
}

/// The answers a ``MirrorFixture``'s routes gave.
final class MirrorAnswers: Sendable {
    private let log = Mutex<[(endpoint: String, status: Int, phases: MirrorResponse.Phases?)]>([])

    func record(_ endpoint: String, _ response: MirrorResponse) {
        log.withLock { $0.append((endpoint, response.status, response.phases)) }
    }

    /// The statuses and timings of `endpoint`'s answers.
    func phases(_ endpoint: String) -> [(status: Int, phases: MirrorResponse.Phases?)] {
        log.withLock { $0.filter { $0.endpoint == endpoint }.map { ($0.status, $0.phases) } }
    }

    /// The statuses of `endpoint`'s answers.
    func statuses(_ endpoint: String) -> [Int] {
        log.withLock { $0.filter { $0.endpoint == endpoint }.map(\.status) }
    }
}

/// Requests to the mirror over HTTP.
struct MirrorClient {
    let port: Int
    var token: String? = "token-1"

    /// POSTs `body` (gzip-compressed here with `gzip`; sent as gzip without compressing it again
    /// with `gzipped`).
    func post(
        _ path: String, _ body: [UInt8], gzip: Bool = false, gzipped: Bool = false
    ) async throws
        -> PeerHTTPResponse
    {
        let client = try PeerHTTPClient(
            baseURL: "http://127.0.0.1:\(port)", token: token, tls: nil, timeout: .seconds(30))
        defer { Task { await client.shutdown() } }
        return try await client.post(
            path, body: gzip ? try #require(Gzip.compress(body)) : body, contentType: "application/octet-stream",
            headers: gzip || gzipped ? [("Content-Encoding", "gzip")] : [])
    }

    /// `mirror/add-checkpoint` of `note` from `old` (with the gateway's consistency proof).
    func addCheckpoint(
        _ gateway: GatewayFixture, old: UInt64, note: String, size: UInt64
    ) async throws
        -> PeerHTTPResponse
    {
        let proof = old == 0 ? [] : try gateway.store.consistencyProof(from: old, to: size)
        return try await post(
            "mirror/add-checkpoint", Array(WitnessRequest.body(oldSize: old, proof: proof, note: note).utf8))
    }

    /// `mirror/add-entries` of `[start, end)` against the checkpoint of size `end`: the first
    /// `packages` packages (all by default), then `extra` bytes.
    func addEntries(
        _ gateway: GatewayFixture, start: UInt64, end: UInt64, packages: UInt64 = .max, extra: [UInt8] = [],
        gzip: Bool = false, tamper: ((inout [UInt8]) -> Void)? = nil
    ) async throws -> PeerHTTPResponse {
        var body = Self.body(gateway, start: start, end: end, packages: packages)
        tamper?(&body)
        return try await post("mirror/add-entries", body + extra, gzip: gzip)
    }

    static func body(_ gateway: GatewayFixture, start: UInt64, end: UInt64, packages: UInt64 = .max) -> [UInt8] {
        let header = MirrorUploadHeader(origin: gateway.origin, uploadStart: start, uploadEnd: end)
        var body = header.encoded
        try! gateway.store.reader.appendMirrorPackages(header, from: 0, count: packages, to: &body)
        return body
    }
}

extension PeerHTTPResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
    var mirrorInfo: MirrorInfo? { try? MirrorInfo(parsing: body) }
}

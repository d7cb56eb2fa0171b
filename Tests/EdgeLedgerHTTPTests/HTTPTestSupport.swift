import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import Prometheus
import Synchronization
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP

let sha256 = OpenSSLHasher.sha256

/// A real ledger store in a temporary directory with `count` readings, sealed at the given sizes
/// with a real Ed25519 key; plus everything the tests compute independently of the store.
final class LedgerFixture: Sendable {
    static let origin = "factory.example/plant-7/gw-12"

    let folder: TemporaryFolder
    var directory: URL { folder.url }
    let store: LedgerStore
    let key: PrivateKey
    /// Encoded (format v1) entries, by index.
    let entries: [[UInt8]]
    /// RFC 6962 leaf hashes computed here from `entries`.
    let leafHashes: [Hash32]

    init(count: Int, sealAt sizes: [Int]) throws {
        folder = try TemporaryFolder(prefix: "edge-ledger-http")
        store = try LedgerStore(path: folder.file("ledger.db"), hasher: sha256)
        key = try PrivateKey.generate(.ed25519)
        var entries: [[UInt8]] = []
        var sealPoints = sizes.filter { $0 <= count }
        if sealPoints.last != count { sealPoints.append(count) }
        var next = 0
        for point in sealPoints {
            while next < point {
                let end = min(point, next + 2000)
                let stored = try store.append(batch: (next..<end).map(LedgerFixture.reading))
                entries.append(contentsOf: stored.map { $0.encode() })
                next = end
            }
            let key = self.key
            _ = try store.seal { request in try LedgerFixture.sign(request, key: key) }
        }
        self.entries = entries
        self.leafHashes = entries.map { sha256.leafHash($0) }
    }

    var storePath: String { store.path }

    var verifier: any NoteVerifier { NoteKeys.verifier(for: key.publicKey, name: LedgerFixture.origin) }

    static func sign(_ request: SealRequest, key: PrivateKey) throws -> String {
        let text = Checkpoint(origin: origin, size: request.size, root: request.root).text
        return try NoteSigning.sign(text: text, with: [NoteKeys.signer(for: key, name: origin)]).serialized
    }

    /// Reading `n`: payload sizes vary from 20 to over 300 bytes, so bundle lengths do too.
    static func reading(_ n: Int) -> ReadingInput {
        let padding = String(repeating: "x", count: (n % 23) * 15)
        return ReadingInput(
            receivedAt: 1_767_225_600_000_000_000 + Int64(n) * 1_000_000, qos: UInt8(n % 3), retain: n % 7 == 0,
            topic: "plant-7/line-\(n % 4)/temp", payload: Array("{\"seq\":\(n),\"pad\":\"\(padding)\"}".utf8))
    }

    /// The root of the first `size` entries, computed here.
    func root(size: Int) -> Hash32 { Merkle.rootHash(leafHashes[0..<size], hasher: sha256) }

    /// Tile `level`/`index` of width `width` computed here: the hashes at tree level 8·level.
    func expectedTile(level: Int, index: Int, width: Int) -> [UInt8] {
        let span = 1 << (8 * level)
        var out: [UInt8] = []
        for j in (index * 256)..<(index * 256 + width) {
            let hash =
                level == 0
                ? leafHashes[j] : Merkle.rootHash(leafHashes[(j * span)..<((j + 1) * span)], hasher: sha256)
            out.append(contentsOf: hash.bytes)
        }
        return out
    }

    /// Entry bundle `index` of width `width` built here: u16 big-endian length + entry, each.
    func expectedBundle(index: Int, width: Int) -> [UInt8] {
        var out: [UInt8] = []
        for e in entries[(index * 256)..<(index * 256 + width)] {
            out.append(UInt8(e.count >> 8))
            out.append(UInt8(e.count & 0xff))
            out.append(contentsOf: e)
        }
        return out
    }

    /// The stored checkpoint note at `size`.
    func note(size: UInt64) throws -> String {
        try #require(try store.reader.checkpoint(size: size)).note
    }
}

/// Tokens the tests use.
enum TestTokens {
    /// A reader that is no upstream (token given as its SHA-256).
    static let reader = "reader-token-5f1c2a"
    /// The upstream "dc-1" (token given "from the environment").
    static let upstream = "dc1-token-9be0d4"
    static let unknown = "not-a-configured-token"

    static var configured: [HTTPTokenConfiguration] {
        [
            HTTPTokenConfiguration(
                name: "reader", credential: .sha256Hex(APIAuthenticator.digest(Array(reader.utf8)).hex)),
            HTTPTokenConfiguration(
                name: "dc-1", credential: .plaintext(ConfigSecret(value: upstream, source: .environment("DC1_TOKEN")))),
        ]
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }
}

extension Array where Element == UInt8 {
    var hex: String { Hex.encode(self) }
}

/// A readiness that the tests can switch.
final class TestStatus: LedgerAPIStatus, Sendable {
    private let problems = Mutex<[String]>([])
    func set(_ problems: [String]) { self.problems.withLock { $0 = problems } }
    func readiness() async -> LedgerReadiness { LedgerReadiness(problems: problems.withLock { $0 }) }
}

/// Builds an API service over `fixture` and runs `body` against it over real loopback HTTP.
func withLiveAPI<Value: Sendable>(
    _ fixture: LedgerFixture,
    http: HTTPConfiguration = HTTPConfiguration(tokens: TestTokens.configured),
    metrics: MetricsConfiguration = MetricsConfiguration(),
    upstreams: [UpstreamPeerConfiguration] = [UpstreamPeerConfiguration(name: "dc-1", url: "http://127.0.0.1:9")],
    status: any LedgerAPIStatus = LedgerAPIStatusClosure { .ready },
    registry: PrometheusCollectorRegistry? = nil,
    metricsFactory: (any MetricsFactory)? = nil,
    _ body: @Sendable (any TestClientProtocol) async throws -> Value
) async throws -> Value {
    var logger = Logger(label: "edge-ledger.http.test")
    logger.logLevel = .warning
    let service = try LedgerAPIService(
        http: http, metrics: metrics, upstreams: upstreams, storePath: fixture.storePath, hasher: sha256,
        acknowledger: fixture.store, status: status, registry: registry, metricsFactory: metricsFactory,
        logger: logger)
    return try await service.application.test(.live, body)
}

extension TestResponse {
    var bytes: [UInt8] { Array(body.readableBytesView) }
    var text: String { String(decoding: body.readableBytesView, as: UTF8.self) }
}

/// Fixtures shared by read-only tests (building them costs a second or two).
enum SharedFixtures {
    /// 300 entries, sealed at 44, 256 and 300.
    static let small: LedgerFixture = try! LedgerFixture(count: 300, sealAt: [44, 256])
    /// 70 000 entries, sealed at 65 536 and 70 000.
    static let large: LedgerFixture = try! LedgerFixture(count: 70_000, sealAt: [65_536])
}

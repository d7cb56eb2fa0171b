import AsyncHTTPClient
import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Testing

@testable import EdgeLedgerUpstream

/// A gateway log collected into an upstream store and served by a ``CollectedLogServer`` over
/// real HTTP on loopback, for the serving tests.
struct ServedLogFixture {
    let dir: TemporaryFolder
    let gateway: GatewayFixture
    let store: CollectorStore
    let server: CollectedLogServer
    let registry: PrometheusCollectorRegistry
    let state: CollectorGatewayState
    static let token = "auditor-token"

    var originHash: String { CollectedLogServer.originHash(gateway.origin) }

    /// A gateway of `size` entries, collected (verified) into a store of `engine`.
    static func make(
        _ engine: UpstreamEngine, size: Int, cosigner: CosignatureV1Signer? = nil, maxConcurrentBuilds: Int = 16
    ) async throws -> ServedLogFixture {
        let dir = try TemporaryFolder()
        let gateway = try GatewayFixture(dir: dir)
        try gateway.grow(size)
        let store = try UpstreamTestStores.make(engine, dir: dir)
        let tiles = try TestTileServer(gateway: gateway)
        try await withServer(tiles.router) { port in
            let collector = try await CollectorTests.collector(gateway, port: port, store: store)
            let report = await collector.pullOnce()
            #expect(report.outcome == .verified)
            await collector.shutdown()
        }
        let state = try #require(try await store.gatewayState(origin: gateway.origin))
        #expect(state.verifiedSize == UInt64(size))
        let registry = PrometheusCollectorRegistry()
        let server = CollectedLogServer(
            store: store, directory: dir.file("tiles"), cosigner: cosigner,
            metrics: LogServingMetrics(factory: PrometheusMetricsFactory(registry: registry)),
            maxConcurrentBuilds: maxConcurrentBuilds, stateLifetime: .zero,
            logger: testLogger("test.logs", level: .critical))
        return ServedLogFixture(
            dir: dir, gateway: gateway, store: store, server: server, registry: registry, state: state)
    }

    /// Serves the logs under `/logs` (tokens: ``token``) while `body` runs with the port.
    func serve<R: Sendable>(
        anonymous: Bool = true, _ body: @Sendable (Int) async throws -> R
    ) async throws -> R {
        let digest = Hex.encode(OpenSSLHasher.sha256.hash(Array(Self.token.utf8)).bytes)
        let authenticator = WitnessAuthenticator(
            allowAnonymous: anonymous, tokens: [HTTPTokenConfiguration(name: "auditor", credential: .sha256Hex(digest))]
        )
        let router = Router(context: LedgerRequestContext.self)
        let logger = testLogger("test.logs", level: .critical)
        MonitoringAPI.addRoutes(
            to: router, endpoint: MonitoringAPI.Endpoint(server: server, prefix: "/logs", authenticator: authenticator),
            logBudget: LogBudget(logger: logger), logger: logger)
        return try await withServer(router, body)
    }

    /// The value of a metric in the server's registry.
    func metric(_ name: String, _ labels: [String: String] = [:]) -> Double {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return PrometheusText.value(String(decoding: buffer, as: UTF8.self), name, labels) ?? 0
    }

    /// The file a full object is kept in.
    func file(_ path: String) -> String { dir.file("tiles") + "/" + originHash + "/" + path }
}

/// An HTTP answer with its headers.
struct FetchedResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    func header(_ name: String) -> String? { headers[name.lowercased()] }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// `GET` (`HEAD` with `head`) `http://127.0.0.1:<port><path>` with `headers` (no automatic
/// decompression).
func fetch(
    port: Int, _ path: String, headers: [String: String] = [:], head: Bool = false
) async throws
    -> FetchedResponse
{
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        if head { request.method = .HEAD }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 32 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        try await client.shutdown()
        return FetchedResponse(status: Int(response.status.code), headers: fields, body: Array(buffer: body))
    } catch {
        try? await client.shutdown()
        throw error
    }
}

import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerGateway
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Logging
import Testing

/// The agent's real HTTP API (``LedgerAPIService``) served in this process on the listener the
/// configuration at `configPath` names, over `store`, with `readiness` standing for the agent's
/// state (broker, store): `edge-ledger status` talks to it over real loopback HTTP or TLS.
enum LiveAgentAPI {
    /// Serves the API while `body` runs.
    static func with<Value: Sendable>(
        configPath: String, store: LedgerStore, readiness: LedgerReadiness,
        _ body: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let configuration = try ConfigLoader.load(
            path: configPath, environment: ["EDGE_LEDGER_STATUS_TEST_SURELY_UNSET": "unused"])
        var logger = Logger(label: "edge-ledger.cli-test.api")
        logger.logLevel = .critical
        return try await RunningService.with(logger: logger) { onServerRunning in
            try LedgerAPIService(
                http: configuration.http, upstreams: configuration.upstreams, storePath: store.path,
                hasher: try OpenSSLHasher(.sha256), acknowledger: store, status: LedgerAPIStatusClosure { readiness },
                logger: logger, onServerRunning: onServerRunning)
        } _: { _ in
            try await body()
        }
    }

    /// Runs `work` (a child process the test waits for) on a thread of its own, so that the
    /// wait does not hold one of the few cooperative threads the server's handlers run on.
    static func offThread<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}

import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerGateway
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Logging
import ServiceLifecycle
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
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let service = try LedgerAPIService(
            http: configuration.http, upstreams: configuration.upstreams, storePath: store.path,
            hasher: try OpenSSLHasher(.sha256), acknowledger: store, status: LedgerAPIStatusClosure { readiness },
            logger: logger, onServerRunning: { port in continuation.yield(port) })
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                // A server that cannot start ends the wait for its port with its error.
                defer { continuation.finish() }
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard await iterator.next() != nil else {
                try await tasks.waitForAll()
                throw TestSupportError("the API stopped before it listened")
            }
            do {
                let value = try await body()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
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

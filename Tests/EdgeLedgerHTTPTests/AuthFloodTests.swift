import EdgeLedgerCore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP

@Suite("auth flood")
struct AuthFloodTests {
    @Test("1,000 wrong-token requests: every one refused (401), at most the budget's log lines and one summary")
    func wrongTokensLogBoundedLines() async throws {
        let f = try LedgerFixture(count: 10, sealAt: [])
        let log = CapturedLog()
        let budget = LogBudget(perMinute: 60, summaryInterval: .milliseconds(300), logger: log.logger(label: "budget"))
        let service = try LedgerAPIService(
            http: HTTPConfiguration(tokens: TestTokens.configured), storePath: f.storePath, hasher: sha256,
            acknowledger: f.store, status: LedgerAPIStatusClosure { .ready }, logger: log.logger(label: "http"),
            logBudget: budget)
        let start = ContinuousClock.now
        try await service.application.test(.live) { client in
            for i in 0..<1_000 {
                let status = try await client.execute(
                    uri: "/checkpoint", method: .get, headers: TestTokens.bearer("wrong-\(i)")
                ).status
                #expect(status == .unauthorized)
            }
        }
        let seconds = Int((ContinuousClock.now - start).components.seconds) + 1
        // The budget: 60 lines, plus one a second of refill while the flood lasted.
        let refused = log.lines(containing: "refused credentials").filter { !$0.contains("log budget exhausted") }
        #expect(refused.count <= 60 + seconds && refused.count >= 1, "\(refused.count) lines in \(seconds) s")
        // Every suppressed line is counted in a summary.
        let summarised = Eventually.holds(timeout: 10) {
            refused.count + log.sum(of: "suppressed", inLinesContaining: "log budget exhausted") == 1_000
        }
        #expect(summarised, "\(log.lines(containing: "log budget exhausted"))")
    }
}

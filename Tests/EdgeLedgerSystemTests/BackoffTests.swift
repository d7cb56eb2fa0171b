import EdgeLedgerCore
import EdgeLedgerSystem
import Testing

/// The one retry schedule (``Backoff``) and wake-up signal the pusher, collectors and
/// anchoring use.
@Suite struct BackoffTests {
    @Test func nominalDelaysDoubleUpToTheMaximum() {
        let backoff = Backoff(initial: .seconds(1), max: .seconds(30))
        #expect((1...7).map { backoff.nominal(afterFailures: $0) } == [1, 2, 4, 8, 16, 30, 30].map { .seconds($0) })
        #expect(backoff.nominal(afterFailures: 1_000_000) == .seconds(30))
        let configured = Backoff(BackoffConfiguration(initial: .milliseconds(500), max: .seconds(2)))
        #expect(configured.nominal(afterFailures: 3) == .seconds(2))
    }

    @Test func jitterStaysBetweenHalfAndTheNominalDelay() {
        let backoff = Backoff(initial: .seconds(1), max: .seconds(60))
        for failures in 1...8 {
            let nominal = backoff.nominal(afterFailures: failures)
            for _ in 0..<200 {
                let delay = backoff.delay(afterFailures: failures)
                #expect(delay >= nominal / 2 && delay <= nominal)
            }
        }
    }

    @Test func aSignalBeforeTheWaitIsKeptAndSeveralCountAsOne() async {
        let signal = WakeupSignal()
        signal.signal()
        signal.signal()
        let clock = ContinuousClock()
        let quick = await clock.measure { await signal.wait(timeout: .seconds(30)) }
        #expect(quick < .seconds(10))
        let timedOut = await clock.measure { await signal.wait(timeout: .milliseconds(50)) }
        #expect(timedOut >= .milliseconds(50))
    }
}

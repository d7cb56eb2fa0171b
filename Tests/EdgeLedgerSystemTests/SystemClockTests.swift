import EdgeLedgerSystem
import Foundation
import Testing

/// The C library's clocks, read in one place (``SystemClock``).
@Suite struct SystemClockTests {
    @Test func wallClockAgreesWithFoundation() {
        let ours = Double(SystemClock.nowNanoseconds()) / 1e9
        #expect(abs(ours - Date().timeIntervalSince1970) < 5)
        #expect(abs(SystemClock.nowSeconds() - Int64(Date().timeIntervalSince1970)) < 5)
    }

    @Test func monotonicAndCPUClocksAdvance() {
        let start = SystemClock.monotonicNanoseconds()
        let cpu = SystemClock.processCPUNanoseconds()
        var x: UInt64 = 1
        for i in 0..<2_000_000 { x = x &* 6_364_136_223_846_793_005 &+ UInt64(i) }
        #expect(x != 0)
        #expect(SystemClock.monotonicNanoseconds() > start)
        #expect(SystemClock.processCPUNanoseconds() > cpu)
        #expect(abs(SystemClock.monotonicSeconds() - Double(SystemClock.monotonicNanoseconds()) / 1e9) < 1)
    }
}

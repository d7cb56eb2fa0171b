import EdgeLedgerCore
import Testing

/// The saturating whole units of `Duration` (one home for metrics, deadlines and the store).
@Suite struct DurationUnitsTests {
    @Test func wholeUnitsTowardZero() {
        let d = Duration.seconds(2) + .nanoseconds(1_999_999)
        #expect(d.nanosecondsClamped == 2_001_999_999)
        #expect(d.microsecondsClamped == 2_001_999)
        #expect(d.millisecondsClamped == 2001)
        #expect(d.secondsDouble == 2.001999999)
        #expect(Duration.milliseconds(-1500).millisecondsClamped == -1500)
        #expect(Duration.zero.nanosecondsClamped == 0)
    }

    @Test func saturatesInsteadOfTrapping() {
        let huge = Duration.seconds(Int64.max)
        #expect(huge.nanosecondsClamped == .max)
        #expect(huge.microsecondsClamped == .max)
        #expect(huge.millisecondsClamped == .max)
        let negative = Duration.seconds(Int64.min)
        #expect(negative.nanosecondsClamped == .min)
        #expect(negative.millisecondsClamped == .min)
        // Just past Int64 nanoseconds through the fraction: 9,223,372,036 s + 0.9 s.
        #expect((Duration.seconds(9_223_372_036) + .milliseconds(900)).nanosecondsClamped == .max)
    }
}

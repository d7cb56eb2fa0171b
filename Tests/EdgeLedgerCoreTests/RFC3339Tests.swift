import EdgeLedgerCore
import Testing

/// RFC 3339 UTC timestamps from Unix time (export, status, fork reports, the simulator).
@Suite struct RFC3339Tests {
    @Test func knownInstants() {
        #expect(RFC3339.string(nanoseconds: 0) == "1970-01-01T00:00:00.000000000Z")
        #expect(RFC3339.string(nanoseconds: 1_767_225_600_123_456_789) == "2026-01-01T00:00:00.123456789Z")
        #expect(RFC3339.string(nanoseconds: -1) == "1969-12-31T23:59:59.999999999Z")
        #expect(RFC3339.string(nanoseconds: 951_782_400_000_000_000) == "2000-02-29T00:00:00.000000000Z")
        #expect(RFC3339.string(nanoseconds: .max) == "2262-04-11T23:47:16.854775807Z")
        #expect(RFC3339.string(nanoseconds: .min) == "1677-09-21T00:12:43.145224192Z")
        #expect(RFC3339.string(milliseconds: 1_764_411_154_567) == "2025-11-29T10:12:34.567Z")
        #expect(RFC3339.string(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(RFC3339.dateTime(seconds: 1_764_411_154) == "2025-11-29T10:12:34")
    }
}

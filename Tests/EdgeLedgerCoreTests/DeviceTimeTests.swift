import EdgeLedgerCore
import Testing

/// `device_time`: RFC 3339 strings, Unix seconds or milliseconds, found at the top level of a
/// JSON payload.
@Suite struct DeviceTimeTests {
    private func read(_ json: String, _ member: String = "ts") -> Result<Int64, DeviceTime.Problem> {
        Array(json.utf8).withUnsafeBytes { DeviceTime.read(member: Array(member.utf8), from: $0) }
    }

    @Test func rfc3339Strings() {
        #expect(RFC3339.nanoseconds(parsing: Array("2026-01-01T00:00:00Z".utf8)) == 1_767_225_600_000_000_000)
        #expect(RFC3339.nanoseconds(parsing: Array("2026-01-01T00:00:00.123456789Z".utf8)) == 1_767_225_600_123_456_789)
        #expect(RFC3339.nanoseconds(parsing: Array("2026-01-01t01:00:00.5+01:00".utf8)) == 1_767_225_600_500_000_000)
        #expect(RFC3339.nanoseconds(parsing: Array("2025-12-31T19:00:00-05:00".utf8)) == 1_767_225_600_000_000_000)
        #expect(RFC3339.nanoseconds(parsing: Array("1970-01-01T00:00:00z".utf8)) == 0)
        #expect(RFC3339.nanoseconds(parsing: Array("1969-12-31T23:59:59.999999999Z".utf8)) == -1)
        #expect(RFC3339.nanoseconds(parsing: Array("2024-02-29T12:00:00Z".utf8)) != nil)
        for bad in [
            "2025-02-29T12:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:60Z",
            "2026-01-01T00:00:00", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567891Z",
            "2026-01-01T00:00:00+0100", "2026-01-01T00:00:00Zx", "9999-01-01T00:00:00Z", "26-01-01T00:00:00Z",
        ] {
            #expect(RFC3339.nanoseconds(parsing: Array(bad.utf8)) == nil, "\(bad)")
        }
        // Round trip with the writer.
        let ns: Int64 = 1_767_225_600_123_456_789
        #expect(RFC3339.nanoseconds(parsing: Array(RFC3339.string(nanoseconds: ns).utf8)) == ns)
    }

    @Test func unixNumbersSecondsBelow1e11MillisecondsFrom() {
        #expect(DeviceTime.unixNanoseconds(number: Array("1767225600".utf8)) == 1_767_225_600_000_000_000)
        #expect(DeviceTime.unixNanoseconds(number: Array("1767225600.25".utf8)) == 1_767_225_600_250_000_000)
        #expect(DeviceTime.unixNanoseconds(number: Array("1767225600123".utf8)) == 1_767_225_600_123_000_000)
        #expect(DeviceTime.unixNanoseconds(number: Array("1767225600123.4567".utf8)) == 1_767_225_600_123_456_700)
        #expect(DeviceTime.unixNanoseconds(number: Array("4102444800".utf8)) == 4_102_444_800_000_000_000)
        #expect(DeviceTime.unixNanoseconds(number: Array("99999999999".utf8)) == nil)  // seconds past 2262
        #expect(DeviceTime.unixNanoseconds(number: Array("100000000000".utf8)) == 100_000_000_000_000_000)
        #expect(DeviceTime.unixNanoseconds(number: Array("-1.5".utf8)) == -1_500_000_000)
        #expect(DeviceTime.unixNanoseconds(number: Array("0.1234567899".utf8)) == 123_456_789)
        for bad in ["1e9", "1.5E3", "", "-", "1.", "99999999999999999999", "9223372036854775807"] {
            #expect(DeviceTime.unixNanoseconds(number: Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test func memberAtTheTopLevelOnly() {
        #expect(read(#"{"ts":"2026-01-01T00:00:00Z","v":1}"#) == .success(1_767_225_600_000_000_000))
        #expect(
            read(#"{"v":{"ts":5},"a":[1,{"ts":2}],"s":"ts\"","ts":1767225600}"#) == .success(1_767_225_600_000_000_000))
        #expect(read(#" { "v" : 1 , "ts" : 1767225600123 } "#) == .success(1_767_225_600_123_000_000))
        #expect(read(#"{"t\u0073":1}"#) == .success(1_000_000_000))
        #expect(read(#"{"v":{"ts":5}}"#) == .failure(.missing))
        #expect(read(#"{}"#) == .failure(.missing))
        #expect(read(#"{"ts":true}"#) == .failure(.invalid))
        #expect(read(#"{"ts":"yesterday"}"#) == .failure(.invalid))
        #expect(read(#"{"ts":1e9}"#) == .failure(.invalid))
        #expect(read(#"{"ts":"2026-01-01T00:00:00\u005a"}"#) == .failure(.invalid))
        #expect(read(#"{"ts":null,"ts":5}"#) == .failure(.invalid))  // the first member counts
    }
}

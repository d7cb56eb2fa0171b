import EdgeLedgerPostgres
import EdgeLedgerTestSupport
import Testing

/// Every parameter type sent in binary and read back, checked by the server too.
@Suite struct PostgresValueTests {
    @Test func scalarsRoundTripIncludingNullsAndExtremes() throws {
        let db = try freshConnection()
        let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let unicode = "Grüße, 世界 🌍 \u{7F}"
        let r = try db.execute(
            "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11",
            [
                .int64(.min), .int64(.max), .int64(-1), .text(unicode), .text(""), .bytea([]), .bytea(big),
                .null(.int64), .null(.text), .null(.bytea), .int64(0),
            ])
        try #require(r.rowCount == 1 && r.columnCount == 11)
        #expect(r.int64(0, 0) == .min)
        #expect(r.int64(0, 1) == .max)
        #expect(r.int64(0, 2) == -1)
        #expect(r.text(0, 3) == unicode)
        #expect(r.text(0, 4) == "")
        #expect(!r.isNull(0, 5))
        #expect(r.bytes(0, 5) == [])
        #expect(r.bytes(0, 6) == big)
        #expect(r.withBytes(0, 6) { Array($0) == big } == true)
        for column in 7...9 { #expect(r.isNull(0, column)) }
        #expect(r.int64(0, 7) == 0)
        #expect(r.text(0, 8) == nil)
        #expect(r.bytes(0, 9) == nil)
        #expect(r.withBytes(0, 9) { $0.count } == nil)
        #expect(!r.isNull(0, 10) && r.int64(0, 10) == 0)

        // The server sees the same values, not just the same bytes echoed.
        let seen = try db.execute(
            "SELECT $1 = -9223372036854775807 - 1, $2 = 'Grüße, 世界 🌍 ' || chr(127), octet_length($3),"
                + " get_byte($3, 123457), $4 IS NULL, octet_length($5)",
            [.int64(.min), .text(unicode), .bytea(big), .null(.text), .bytea([])])
        #expect(seen.bool(0, 0))
        #expect(seen.bool(0, 1))
        #expect(seen.int64(0, 2) == 1 << 20)
        #expect(seen.int64(0, 3) == Int64(big[123_457]))
        #expect(seen.bool(0, 4))
        #expect(seen.int64(0, 5) == 0)
    }

    @Test func arraysRoundTripInOrderIncludingEmptyOnes() throws {
        let db = try freshConnection()
        let items: [[UInt8]] = [[], [0, 1, 2], [UInt8](repeating: 0xAB, count: 1000), [0xFF]]
        let numbers: [Int64] = [.min, 0, 42, .max, -7]
        let sizes = try db.execute(
            "SELECT cardinality($1::bytea[]), cardinality($2::int8[]), cardinality($3::bytea[]),"
                + " cardinality($4::int8[]), array_lower($1::bytea[], 1)",
            [.byteaArray(items), .int64Array(numbers), .byteaArray([]), .int64Array([])])
        #expect(sizes.int64(0, 0) == 4)
        #expect(sizes.int64(0, 1) == 5)
        #expect(sizes.int64(0, 2) == 0)
        #expect(sizes.int64(0, 3) == 0)
        #expect(sizes.int64(0, 4) == 1)

        let blobs = try db.execute(
            "SELECT ord, item FROM unnest($1::bytea[]) WITH ORDINALITY AS u(item, ord) ORDER BY ord",
            [.byteaArray(items)])
        try #require(blobs.rowCount == items.count)
        for (i, item) in items.enumerated() {
            #expect(blobs.int64(i, 0) == Int64(i + 1))
            #expect(blobs.bytes(i, 1) == item)
        }
        let ints = try db.execute(
            "SELECT v FROM unnest($1::int8[]) WITH ORDINALITY AS u(v, ord) ORDER BY ord", [.int64Array(numbers)])
        #expect((0..<ints.rowCount).map { ints.int64($0, 0) } == numbers)
        let none = try db.execute("SELECT v FROM unnest($1::int8[]) AS u(v)", [.int64Array([])])
        #expect(none.rowCount == 0)
        let strings = ["", "gateway.example/a", "ü – 日本", String(repeating: "x", count: 3000)]
        let texts = try db.execute(
            "SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, ord) ORDER BY ord", [.textArray(strings)])
        #expect((0..<texts.rowCount).map { texts.text($0, 0) } == strings)
        #expect(try db.execute("SELECT cardinality($1::text[])", [.textArray([])]).int64(0, 0) == 0)
    }

    @Test func decodesNarrowIntegersBooleansAndTextTypes() throws {
        let db = try freshConnection()
        let r = try db.execute(
            "SELECT 7::int2, (-70000)::int4, (-3)::int2, true, false, NULL::bool, 'abc'::varchar,"
                + " current_database(), 'x'::char(3), 12345::oid, NULL::int4")
        #expect(r.int64(0, 0) == 7)
        #expect(r.int64(0, 1) == -70_000)
        #expect(r.int64(0, 2) == -3)
        #expect(r.bool(0, 3))
        #expect(!r.bool(0, 4))
        #expect(r.isNull(0, 5) && !r.bool(0, 5))
        #expect(r.text(0, 6) == "abc")
        #expect(r.text(0, 7)?.hasPrefix("pg_") == true)
        #expect(r.text(0, 8) == "x  ")
        #expect(r.int64(0, 9) == 12_345)
        #expect(r.isNull(0, 10) && r.int64(0, 10) == 0)
        #expect(r.columnName(7) == "current_database")
    }

    @Test func insertsFourThousandRowsFromOneArrayInOrder() throws {
        let db = try freshConnection()
        try db.executeScript("CREATE TABLE entries (seq bigint PRIMARY KEY, payload bytea NOT NULL)")
        let payloads: [[UInt8]] = (0..<4096).map { i in
            [UInt8(i >> 8), UInt8(i & 0xff)] + (0..<98).map { UInt8(truncatingIfNeeded: i &* 31 &+ $0) }
        }
        let inserted = try db.execute(
            "INSERT INTO entries (seq, payload) SELECT $1 + ord - 1, p FROM unnest($2::bytea[]) WITH ORDINALITY AS u(p, ord)",
            [.int64(1000), .byteaArray(payloads)])
        #expect(inserted.affectedRows == 4096)
        let back = try db.execute("SELECT seq, payload FROM entries ORDER BY seq")
        try #require(back.rowCount == 4096)
        var mismatches = 0
        for i in 0..<4096 where back.int64(i, 0) != Int64(1000 + i) || back.bytes(i, 1) != payloads[i] {
            mismatches += 1
        }
        #expect(mismatches == 0)
    }
}

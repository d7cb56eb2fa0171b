import EdgeLedgerCore
import EdgeLedgerPostgres
import EdgeLedgerStore

/// PostgreSQL keeps a collected log's entries in two tables, each entry in exactly one of them,
/// and never reads, modifies and rewrites either:
///
/// - `bundles`: each whole C2SP entry bundle (256 entries at `idx·256 ..< idx·256 + 256`) that a
///   batch brings entire — a backlog, pulled or pushed, arrives almost all this way: one row per
///   256 entries, about a tenth of PostgreSQL's work per entry of a row each;
/// - `entries`: every other entry, one row each — the partial bundles at a batch's two edges, so
///   that the small pulls and pushes of a running fleet append rows as before and no partial
///   bundle is ever rewritten.
///
/// The view `collected_entries(gateway, idx, data)` shows both as rows, for operators' queries.
extension PostgresSession {
    private static let bundleWidth = UInt64(TileID.fullWidth)

    func insertEntries(gateway: Int64, from start: UInt64, _ entries: CollectorEntryBatch) throws(StoreError) {
        guard !entries.isEmpty else { return }
        let end = start + UInt64(entries.count)
        // The whole bundles inside start ..< end, as batch positions: first ..< last.
        let firstBundle = start / Self.bundleWidth + (start % Self.bundleWidth == 0 ? 0 : 1)
        let lastBundle = end / Self.bundleWidth
        guard firstBundle < lastBundle else {
            insertRows(gateway: gateway, from: start, entries, 0..<entries.count)
            return
        }
        let first = Int(firstBundle * Self.bundleWidth - start)
        let last = Int(lastBundle * Self.bundleWidth - start)
        insertRows(gateway: gateway, from: start, entries, 0..<first)
        var bundles: [[UInt8]] = []
        bundles.reserveCapacity(Int(lastBundle - firstBundle))
        for bundleStart in stride(from: first, to: last, by: TileID.fullWidth) {
            let bundleEnd = bundleStart + TileID.fullWidth
            let bundleBytes = entries.ends[bundleEnd - 1] - (bundleStart == 0 ? 0 : entries.ends[bundleStart - 1])
            var data: [UInt8] = []
            data.reserveCapacity(bundleBytes + 2 * TileID.fullWidth)
            for i in bundleStart..<bundleEnd {
                entries.entry(i).withUnsafeBytes { CollectorBundle.append($0, to: &data) }
            }
            bundles.append(data)
        }
        enqueue(
            PostgresStatement(
                "INSERT INTO bundles(gateway, idx, data) SELECT $1, $2 + t.ord - 1, t.data "
                    + "FROM unnest($3::bytea[]) WITH ORDINALITY AS t(data, ord)",
                [.int64(gateway), .int64(Int64(bitPattern: firstBundle)), .byteaArray(bundles)]),
            "storing \(bundles.count) collected entry bundles from \(firstBundle)")
        insertRows(gateway: gateway, from: start, entries, last..<entries.count)
    }

    /// Queues the rows of `entries[positions]` (the batch's first entry is index `start`).
    private func insertRows(
        gateway: Int64, from start: UInt64, _ entries: CollectorEntryBatch, _ positions: Range<Int>
    ) {
        guard !positions.isEmpty else { return }
        insertRows(
            gateway: gateway, from: start + UInt64(positions.lowerBound), positions.map { Array(entries.entry($0)) })
    }

    /// Queues one row for each of `values`, the entries from index `start` on.
    private func insertRows(gateway: Int64, from start: UInt64, _ values: [[UInt8]]) {
        guard !values.isEmpty else { return }
        enqueue(
            PostgresStatement(
                "INSERT INTO entries(gateway, idx, data) SELECT $1, $2 + t.ord - 1, t.data "
                    + "FROM unnest($3::bytea[]) WITH ORDINALITY AS t(data, ord)",
                [.int64(gateway), .int64(Int64(bitPattern: start)), .byteaArray(values)]),
            "storing \(values.count) collected entries from \(start)")
    }

    func entries(gateway: Int64, from: UInt64, to: UInt64) throws(StoreError) -> [[UInt8]] {
        guard from < to else { return [] }
        var found: [(index: UInt64, bytes: [UInt8])] = []
        try query(
            "SELECT idx, data FROM bundles WHERE gateway = ?1 AND idx >= ?2 AND idx <= ?3 ORDER BY idx",
            [.int(gateway), .uint(from / Self.bundleWidth), .uint((to - 1) / Self.bundleWidth)],
            "reading collected entry bundles"
        ) { (row) throws(StoreError) in
            let bundle = row.uint64(0)
            let split = row.withBlob(1) { data -> Bool in
                guard let ranges = CollectorBundle.split(data, width: TileID.fullWidth) else { return false }
                for (i, range) in ranges.enumerated() {
                    let index = bundle &* Self.bundleWidth &+ UInt64(i)
                    if index >= from && index < to { found.append((index, Array(data[range]))) }
                }
                return true
            }
            guard split == true else { throw malformed("collected entry bundle \(bundle) of gateway \(gateway)") }
        }
        try query(
            "SELECT idx, data FROM entries WHERE gateway = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx",
            [.int(gateway), .uint(from), .uint(to)], "reading collected entries"
        ) { (row) throws(StoreError) in found.append((row.uint64(0), row.blob(1) ?? [])) }
        // The two tables interleave only in a store damaged by hand; keep the order either way.
        if !found.isEmpty && !zip(found, found.dropFirst()).allSatisfy({ $0.index < $1.index }) {
            found.sort { $0.index < $1.index }
        }
        return found.map(\.bytes)
    }

    func truncateEntries(gateway: Int64, to size: UInt64) throws(StoreError) {
        try run(
            "DELETE FROM entries WHERE gateway = ?1 AND idx >= ?2", [.int(gateway), .uint(size)],
            "discarding staged entries")
        // A whole bundle that `size` cuts keeps its entries below `size`, as rows.
        let cut = size / Self.bundleWidth
        let keep = Int(size % Self.bundleWidth)
        let stored = try scalar(
            "SELECT count(*) FROM bundles WHERE gateway = ?1 AND idx = ?2", [.int(gateway), .uint(cut)],
            "reading bundle \(cut)")
        if keep > 0, let stored, stored > 0 {
            let kept = try entries(gateway: gateway, from: cut * Self.bundleWidth, to: size)
            guard kept.count == keep else { throw malformed("collected entry bundle \(cut) of gateway \(gateway)") }
            insertRows(gateway: gateway, from: cut * Self.bundleWidth, kept)
        }
        try run(
            "DELETE FROM bundles WHERE gateway = ?1 AND idx >= ?2", [.int(gateway), .uint(cut)],
            "discarding staged entry bundles")
    }

    func entryCount(gateway: Int64) throws(StoreError) -> UInt64 {
        UInt64(
            try scalar(
                "SELECT (SELECT count(*) FROM bundles WHERE gateway = ?1) * 256 "
                    + "+ (SELECT count(*) FROM entries WHERE gateway = ?1)", [.int(gateway)],
                "counting collected entries") ?? 0)
    }
}

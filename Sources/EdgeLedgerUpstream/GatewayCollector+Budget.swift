import EdgeLedgerCore

/// What a pull reserves in the instance's ``CollectorMemoryBudget`` for each entry bundle.
extension GatewayCollector {
    /// The bytes reserved per entry before any bundle of the gateway was seen (a format-v1
    /// reading is about 100–300 bytes; larger entries cost one fetch again, see
    /// ``OverReservation``). Each pull starts from what the last one saw.
    static let initialEntryEstimate = 512

    /// A bundle fetched with a limit (its reservation) turned out larger: fetch it again with a
    /// larger one. Not a failure of the gateway: its entries may be large.
    struct OverReservation: Error {
        /// The limit it exceeded.
        var limit: Int
        /// Its length as its `Content-Length` announced it (at most the largest possible).
        var announced: Int?
    }

    /// The largest an entry bundle of `width` entries can be: each entry with its 2-byte length
    /// and at most ``Entry/maximumEncodedSize`` bytes.
    static func largestBundle(width: Int) -> Int {
        width * (2 + Entry.maximumEncodedSize)
    }

    /// The bytes to reserve for bundle `index` of a tree of `treeSize`, at `entryEstimate` bytes
    /// an entry (plus room for its length prefixes), never more than it can hold.
    static func bundleReservation(_ index: UInt64, treeSize: UInt64, entryEstimate: Int) -> Int {
        let width = TileWidths.width(level: 0, index: index, treeSize: treeSize)
        return min(largestBundle(width: width), width * entryEstimate + 1024)
    }

    /// The reservation per entry that a bundle of `bytes` and `width` entries suggests, with a
    /// quarter to spare (entries vary in size).
    static func entryEstimate(bytes: Int, width: Int) -> Int {
        let perEntry = (bytes + max(1, width) - 1) / max(1, width)
        return perEntry + perEntry / 4
    }
}

import EdgeLedgerCore
import EdgeLedgerHTTP

/// Requests for a gateway's entry bundles and hash tiles (C2SP tlog-tiles), each bounded by
/// what it can hold.
extension GatewayCollector {
    struct FetchedBundle: Sendable {
        var bundleID: TileID
        var bundle: [UInt8]
        var tile: [Hash32]
    }

    /// Entry bundle `index` and its level-0 hash tile, at their widths in a tree of `treeSize`.
    ///
    /// - Parameter limit: the most bytes of the bundle to read (its reservation); the bundle's
    ///   largest possible size when `nil` or larger.
    /// - Throws: ``OverReservation`` when the bundle is larger than `limit` but may be valid.
    func fetchBundle(_ index: UInt64, treeSize: UInt64, limit: Int? = nil) async throws -> FetchedBundle {
        let width = TileWidths.width(level: 0, index: index, treeSize: treeSize)
        let bundleID = TileID.entryBundle(index: index, width: width)
        let tileID = TileID(level: 0, index: index, width: width)
        async let tileResponse = client.get(tileID.path, limit: width * 32)
        let largest = Self.largestBundle(width: width)
        let bundleLimit = min(largest, limit ?? largest)
        let bundle: PeerHTTPResponse
        do {
            bundle = try await client.get(bundleID.path, limit: bundleLimit)
        } catch let error as PeerTransportError where error.tooLarge && bundleLimit < largest {
            throw OverReservation(limit: bundleLimit, announced: error.announcedLength.map { min($0, largest) })
        }
        try GatewayHTTPFailure.check(bundle, request: "GET /\(bundleID.path)")
        let tile = try await tileResponse
        try GatewayHTTPFailure.check(tile, request: "GET /\(tileID.path)")
        return FetchedBundle(
            bundleID: bundleID, bundle: bundle.body, tile: try TileParsing.hashes(tile.body, id: tileID))
    }

    /// Hash tile `key` at its width in a tree of `treeSize`.
    func fetchTile(_ key: TileKey, treeSize: UInt64) async throws -> [Hash32] {
        let width = TileWidths.width(level: key.level, index: key.index, treeSize: treeSize)
        let id = TileID(level: key.level, index: key.index, width: width)
        let response = try await client.get(id.path, limit: width * 32)
        try GatewayHTTPFailure.check(response, request: "GET /\(id.path)")
        return try TileParsing.hashes(response.body, id: id)
    }

    /// The given hash tiles at their widths in a tree of `treeSize`, fetched in parallel.
    func fetchTiles(_ keys: [TileKey], treeSize: UInt64) async throws -> [TileKey: [Hash32]] {
        try await withThrowingTaskGroup(of: (TileKey, [Hash32]).self) { group in
            var out: [TileKey: [Hash32]] = [:]
            var pending = keys[...]
            var inFlight = 0
            while true {
                while inFlight < parallelFetches, let key = pending.popFirst() {
                    group.addTask { (key, try await self.fetchTile(key, treeSize: treeSize)) }
                    inFlight += 1
                }
                guard let (key, hashes) = try await group.next() else { break }
                inFlight -= 1
                out[key] = hashes
            }
            return out
        }
    }
}

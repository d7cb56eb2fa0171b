import EdgeLedgerCore

extension LedgerReader {
    /// The subtree consistency proof of `[start, end)` in the tree of `size` entries
    /// (draft-ietf-plants-merkle-tree-certs; what a tlog-mirror `add-entries` package carries),
    /// from the stored tiles.
    ///
    /// - Throws: ``StoreError`` of kind ``StoreError/Kind/outOfRange`` when `size` is not sealed
    ///   or `[start, end)` is not a subtree within it.
    public func subtreeConsistencyProof(start: UInt64, end: UInt64, size: UInt64) throws(StoreError) -> [Hash32] {
        try withSnapshot("making a subtree consistency proof") { (db) throws(StoreError) in
            try db.requireSealed(size)
            return try SQLiteConnection.tiled("proving subtree [\(start), \(end)) in size \(size)") {
                () throws -> [Hash32] in
                try TiledTree.subtreeConsistencyProof(
                    start: start, end: end, size: size, reader: SQLiteTileReader(connection: db), hasher: self.hasher)
            }
        }
    }
}

extension LedgerReader {
    /// Appends packages `first ..< first + count` of `header`'s canonical sequence to `out`
    /// (fewer when the sequence ends first): each package's entries read from the store (256 at
    /// most at a time) and its subtree consistency proof made from the stored tiles against the
    /// tree of `header.uploadEnd` entries.
    ///
    /// - Returns: the packages appended.
    /// - Throws: ``StoreError``: ``StoreError/Kind/outOfRange`` when `header.uploadEnd` is not
    ///   sealed, ``StoreError/Kind/pruned`` when an entry's bytes were pruned.
    @discardableResult
    public func appendMirrorPackages(
        _ header: MirrorUploadHeader, from first: UInt64, count: UInt64, to out: inout [UInt8]
    ) throws(StoreError) -> UInt64 {
        let last = min(header.packageCount, first.addingReportingOverflow(count).partialValue)
        guard first < last else { return 0 }
        for index in first..<last {
            let bounds = header.package(index)
            let entries = try encodedEntries(from: bounds.start, to: bounds.end)
            guard entries.count == Int(bounds.end - bounds.start) else {
                throw StoreError(
                    .outOfRange, "entries \(bounds.start)..<\(bounds.end) are not all stored (\(entries.count) are)")
            }
            let proof = try subtreeConsistencyProof(start: bounds.subtreeStart, end: bounds.end, size: header.uploadEnd)
            MirrorPackage.encode(entries: entries, proof: proof, into: &out)
        }
        return last - first
    }
}

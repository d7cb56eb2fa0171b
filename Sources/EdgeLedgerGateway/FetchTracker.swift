import Synchronization

/// How far each upstream has fetched the log's entries with its own credential, contiguously
/// from the start: the in-memory side of `LedgerStore.recordFetched(upstream:below:)`.
///
/// Entry bundles are served in parallel and may complete out of order, so ranges above the
/// contiguous mark are kept (at most ``maxRanges`` per upstream) until the gap below them is
/// served; the mark only ever covers entries actually served to that upstream.
///
/// The mark is persisted every ``persistEvery`` entries (one small write per 64 bundles during a
/// catch-up, not one per bundle) and before each acknowledgement challenge (``unpersisted(_:)``).
/// A restart loses at most that much of the record: the collector then fetches those bundles
/// again when the gateway refuses its acknowledgement (`fetched_size` in the 409).
final class FetchTracker: Sendable {
    private struct Progress {
        var below: UInt64
        var persisted: UInt64
        var ranges: [Range<UInt64>] = []  // above `below`, sorted, disjoint, not adjacent to it
    }

    /// Ranges remembered above a gap, per upstream; more are forgotten (the upstream fetches
    /// them again when it needs them acknowledged).
    static let maxRanges = 1024
    /// The mark is persisted when it has advanced this many entries past the persisted one.
    static let persistEvery: UInt64 = 64 * 256
    private let state = Mutex<[String: Progress]>([:])

    /// Whether `upstream`'s persisted mark has been loaded (``load(upstream:below:)``).
    func isLoaded(_ upstream: String) -> Bool {
        state.withLock { $0[upstream] != nil }
    }

    /// Sets `upstream`'s mark from the store, unless it is already known.
    func load(upstream: String, below: UInt64) {
        state.withLock { if $0[upstream] == nil { $0[upstream] = Progress(below: below, persisted: below) } }
    }

    /// The contiguous mark of `upstream`, when loaded.
    func mark(_ upstream: String) -> UInt64? {
        state.withLock { $0[upstream]?.below }
    }

    /// Records that entries `range` were served to `upstream` (loaded first).
    ///
    /// - Returns: the mark to persist when it advanced ``persistEvery`` entries past the
    ///   persisted one (it then counts as persisted); `nil` otherwise.
    func served(upstream: String, _ range: Range<UInt64>) -> UInt64? {
        state.withLock { all -> UInt64? in
            guard var p = all[upstream], range.upperBound > p.below else { return nil }
            defer { all[upstream] = p }
            if range.lowerBound <= p.below {
                p.below = range.upperBound
                // Absorb the remembered ranges that are now contiguous.
                while let first = p.ranges.first, first.lowerBound <= p.below {
                    p.below = max(p.below, first.upperBound)
                    p.ranges.removeFirst()
                }
                guard p.below - p.persisted >= Self.persistEvery else { return nil }
                p.persisted = p.below
                return p.below
            }
            let i = p.ranges.firstIndex { $0.lowerBound > range.lowerBound } ?? p.ranges.endIndex
            p.ranges.insert(range, at: i)
            // Merge overlapping or adjacent neighbours.
            var merged: [Range<UInt64>] = []
            for r in p.ranges {
                if let last = merged.last, r.lowerBound <= last.upperBound {
                    merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
                } else {
                    merged.append(r)
                }
            }
            p.ranges = Array(merged.prefix(Self.maxRanges))
            return nil
        }
    }

    /// The mark of `upstream` when it is ahead of the persisted one (it then counts as
    /// persisted): the caller persists it before relying on the stored value.
    func unpersisted(_ upstream: String) -> UInt64? {
        state.withLock { all -> UInt64? in
            guard var p = all[upstream], p.below > p.persisted else { return nil }
            p.persisted = p.below
            all[upstream] = p
            return p.below
        }
    }
}

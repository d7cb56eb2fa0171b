import Synchronization

/// How far each upstream has fetched the log's entries with its own credential, contiguously
/// from the start: the in-memory side of `LedgerStore.recordFetched(upstream:below:)`.
///
/// Entry bundles are served in parallel and may complete out of order, so ranges above the
/// contiguous mark are kept (at most ``maxRanges`` per upstream) until the gap below them is
/// served; the mark only ever covers entries actually served to that upstream. The caller
/// persists the mark each time it advances.
final class FetchTracker: Sendable {
    private struct Progress {
        var below: UInt64
        var ranges: [Range<UInt64>] = []  // above `below`, sorted, disjoint, not adjacent to it
    }

    /// Ranges remembered above a gap, per upstream; more are forgotten (the upstream fetches
    /// them again when it needs them acknowledged).
    static let maxRanges = 1024
    private let state = Mutex<[String: Progress]>([:])

    /// Whether `upstream`'s persisted mark has been loaded (``load(upstream:below:)``).
    func isLoaded(_ upstream: String) -> Bool {
        state.withLock { $0[upstream] != nil }
    }

    /// Sets `upstream`'s mark from the store, unless it is already known.
    func load(upstream: String, below: UInt64) {
        state.withLock { if $0[upstream] == nil { $0[upstream] = Progress(below: below) } }
    }

    /// Records that entries `range` were served to `upstream` (loaded first).
    ///
    /// - Returns: the new contiguous mark when it advanced, to be persisted; `nil` otherwise.
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
}
